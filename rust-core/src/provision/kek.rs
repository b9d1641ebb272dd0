//! The TR-34 step of a provisioning, for a reader whose key profile gives it its own KEK: the
//! service answers its first key request `kek_not_established`, and then the reader's device
//! certificate and a fresh nonce go to the service (`POST /v1/devices/{posId}/kek`), the token
//! that comes back is loaded with [`KeyLoader::load_kek_tr34`] (success only when the reader's
//! KCV of the KEK is AWS's), and the outcome is reported (`…/kek/report`), loaded or not.

use crate::loader::{KekLoadError, KekLoadRequest, KeyLoader, LoadError};
use crate::service_api::{KekReport, SlotOutcome};
use crate::service_client::{KeyServiceClient, ServiceError};

use super::{MAX_REPORTED_ERROR_CHARS, OwnKek, ProvisionError};

impl KeyLoader {
    /// Establishes the reader's own KEK through the key service: see the [module](self) docs.
    /// A failed report leaves a loaded KEK loaded (it is returned in [`OwnKek::report`]).
    pub fn establish_kek(&mut self, client: &KeyServiceClient, pos_id: &str) -> Result<OwnKek, ProvisionError> {
        let credentials = self
            .krd_credentials()
            .map_err(|e| ProvisionError::Reader(reader_error(e)))?;
        let answer = client
            .establish_kek(pos_id, credentials.certificate.pem(), &credentials.nonce)
            .map_err(ProvisionError::Service)?;
        let unreadable = |what: &str| {
            ProvisionError::Service(ServiceError::Protocol {
                reason: format!("the KEK answer's {what} is not hex"),
            })
        };
        let token = hex::decode(&answer.token).map_err(|_| unreadable("token"))?;
        let expected_kcv = hex::decode(&answer.kek_kcv).map_err(|_| unreadable("kekKcv"))?;
        let request = KekLoadRequest {
            expected_kcv,
            // Like the vendor SDK's `loadSessionKeyByTR_34`: the reader holds the KDH certificate.
            kdh_certificate: None,
        };
        let loaded = self.load_kek_tr34(&token, &request);
        let report = match &loaded {
            Ok(outcome) => KekReport {
                outcome: SlotOutcome::Loaded,
                reader_kcv: Some(hex::encode_upper(&outcome.reader_kcv)),
                error: None,
            },
            Err(error) => KekReport {
                outcome: match error {
                    KekLoadError::Load(LoadError::Indeterminate { .. } | LoadError::Cancelled) => {
                        SlotOutcome::Indeterminate
                    }
                    _ => SlotOutcome::Failed,
                },
                reader_kcv: None,
                error: Some(
                    error
                        .to_string()
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(MAX_REPORTED_ERROR_CHARS)
                        .collect(),
                ),
            },
        };
        let reported = client.report_kek(pos_id, &report);
        let outcome = loaded.map_err(|e| ProvisionError::Reader(reader_error(e)))?;
        Ok(OwnKek {
            kek_arn: answer.kek_arn,
            kek_kcv: answer.kek_kcv,
            reader_kcv: hex::encode_upper(&outcome.reader_kcv),
            report: reported.map(|r| r.verdict),
        })
    }
}

/// A KEK load failure as a load failure of the provisioning.
fn reader_error(error: KekLoadError) -> LoadError {
    match error {
        KekLoadError::Load(error) => error,
        refused @ KekLoadError::Refused { .. } => LoadError::Refused {
            reason: refused.to_string(),
            remedy: None,
        },
        KekLoadError::Token(error) => LoadError::InvalidArgument {
            reason: format!("the TR-34 token: {error}"),
        },
    }
}
