@file:JvmName("AwsKeys")

package io.keybridge.dspread

import io.keybridge.ExportedKey

/**
 * Loads a key block exported from AWS Payment Cryptography into [keyIndex] and holds the reader to
 * the KCV AWS reported for it ([ExportedKey.readerComparableKcv]): a reader that reports another
 * KCV ends the call in `onError`. Where AWS's KCV cannot be compared with a reader's (an AES key's
 * CMAC KCV) the load is only as verified as the block's own KC block makes it
 * ([KeyLoadReport.isKcvVerified] says). From Java: `AwsKeys.updateKeyByTR_31(pos, keyIndex, exported)`.
 * Only in builds with the `aws` feature.
 */
fun QPOSService.updateKeyByTR_31(keyIndex: Int, exported: ExportedKey) {
    setExpectedKcv(exported.readerComparableKcv?.joinToString("") { "%02X".format(it) })
    updateKeyByTR_31(keyIndex, exported.keyBlock)
}
