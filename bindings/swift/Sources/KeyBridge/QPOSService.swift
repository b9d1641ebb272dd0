// Hand-written (not generated): the key-loading part of the Dspread iOS SDK's QPOSService, in its
// style, over the generated async `KeyLoader`. An Objective-C or Swift app that calls
// `updateKeyByTR_31:keyBlock:` and implements `onReturnUpdateKeyByTR_31Result:` keeps doing so.
// Kept small on purpose: Swift cannot be compiled where keybridge is developed.

import Foundation

/// The Dspread iOS SDK's `Error` values, in its order (so raw values match).
@objc public enum QPOSError: Int {
    case TIMEOUT, MAC_ERROR, CMD_NOT_AVAILABLE, DEVICE_RESET, UNKNOWN, DEVICE_BUSY, INPUT_OUT_OF_RANGE,
         INPUT_INVALID_FORMAT, INPUT_ZERO_VALUES, INPUT_INVALID, CASHBACK_NOT_SUPPORTED, CRC_ERROR, COMM_ERROR,
         CMD_TIMEOUT, WR_DATA_ERROR, EMV_APP_CFG_ERROR, EMV_CAPK_CFG_ERROR, APDU_ERROR, ICC_ONLINE_TIMEOUT,
         AMOUNT_OUT_OF_LIMIT, DIGITS_UNAVAILABLE, QPOS_MEMORY_OVERFLOW, SELECT_APP_TIMEOUT,
         /// keybridge's: the reader did not answer at all (the Android SDK's name).
         NO_RESPONSE

    /// The value for a Dspread error name from keybridge (`LoadFailure.dspreadError`).
    init(dspreadName: String) {
        let names: [String: QPOSError] = [
            "TIMEOUT": .TIMEOUT, "MAC_ERROR": .MAC_ERROR, "CMD_NOT_AVAILABLE": .CMD_NOT_AVAILABLE,
            "DEVICE_RESET": .DEVICE_RESET, "DEVICE_BUSY": .DEVICE_BUSY, "INPUT_INVALID": .INPUT_INVALID,
            "CRC_ERROR": .CRC_ERROR, "COMM_ERROR": .COMM_ERROR, "CMD_TIMEOUT": .CMD_TIMEOUT, "NO_RESPONSE": .NO_RESPONSE,
        ]
        self = names[dspreadName] ?? .UNKNOWN
    }
}

/// What keybridge says after each load, beyond the vendor's `true`: whether a known KCV proved it.
@objc public final class QPOSKeyLoadReport: NSObject {
    @objc public let keyIndex: Int
    @objc public let isSuccess: Bool
    /// The reader's KCV matched a KCV known for the key (the block's KC block, `setExpectedKcv`).
    /// A success that is not verified is the reader's word only, as the vendor SDK's `true` is.
    @objc public let isKcvVerified: Bool
    /// The reader's KCV of the key index, hex; nil on failure.
    @objc public let readerKcv: String?
    /// Why the load failed (names the field and position for a malformed block); nil on success.
    @objc public let message: String?

    init(keyIndex: Int, report: LoadReport) {
        self.keyIndex = keyIndex
        isSuccess = report.loaded != nil
        isKcvVerified = report.loaded.map { $0.kcvVerification != .unverified } ?? false
        readerKcv = report.loaded?.readerKcvHex
        message = report.failure?.message
    }
}

/// The delegate, with the vendor's selector names.
@objc public protocol QPOSServiceListener: AnyObject {
    /// `true` once the reader holds the key and every known KCV matched; failures go to `onError:`.
    @objc optional func onReturnUpdateKeyByTR_31Result(_ result: Bool)
    @objc optional func onError(_ errorState: QPOSError)
    /// After every load, with the details.
    @objc optional func onKeyLoadReport(_ report: QPOSKeyLoadReport)
}

/// Loads TR-31 key blocks (as AWS returns them) into a Dspread reader, the vendor SDK's way.
@objc public final class QPOSService: NSObject {
    private let loader: KeyLoader
    private let lock = NSLock()
    private var nextExpectedKcv: Data?
    /// The vendor's `setDelegate:`.
    @objc public weak var delegate: QPOSServiceListener?
    /// Where callbacks run (the vendor's `setQueue:`); the main queue by default.
    @objc public var queue: DispatchQueue = .main

    /// A service over a `KeyLoader` (`KeyLoader.withTransport(transport:options:)` for Bluetooth).
    public init(loader: KeyLoader) {
        self.loader = loader
    }

    /// The KCV the next load must find in the reader (a mismatch is `onError:`); that call only.
    /// `ExportedKey.readerComparableKcv` for a key exported from AWS.
    @objc public func setExpectedKcv(_ kcv: Data?) {
        lock.lock()
        nextExpectedKcv = kcv
        lock.unlock()
    }

    @objc(updateKeyByTR_31:keyBlock:)
    public func updateKeyByTR_31(_ keyIndex: Int, keyBlock: String) {
        updateKeyByTR_31(keyIndex, keyBlock: keyBlock, timeout: 0)
    }

    /// `timeout`: seconds to wait for each answer of the reader (0: keybridge's default).
    @objc(updateKeyByTR_31:keyBlock:timeout:)
    public func updateKeyByTR_31(_ keyIndex: Int, keyBlock: String, timeout: Int) {
        lock.lock()
        let expectedKcv = nextExpectedKcv
        nextExpectedKcv = nil
        lock.unlock()
        let timeoutMs: Int32? = timeout > 0 ? Int32(clamping: min(timeout, 86_400) * 1000) : nil
        let request = LoadRequest(slot: Int32(clamping: keyIndex), expectedKcv: expectedKcv, timeoutMs: timeoutMs)
        let loader = self.loader
        Task {
            let report = await loader.loadReport(block: keyBlock, request: request)
            self.queue.async { self.deliver(report, keyIndex: keyIndex) }
        }
    }

    /// Cancels the load in progress (Swift tasks do not cancel the Rust call by themselves).
    @objc public func cancel() {
        loader.cancel()
    }

    private func deliver(_ report: LoadReport, keyIndex: Int) {
        guard let delegate = delegate else { return }
        if report.loaded != nil {
            delegate.onReturnUpdateKeyByTR_31Result?(true)
        } else {
            delegate.onError?(QPOSError(dspreadName: report.failure?.dspreadError ?? "UNKNOWN"))
        }
        delegate.onKeyLoadReport?(QPOSKeyLoadReport(keyIndex: keyIndex, report: report))
    }
}
