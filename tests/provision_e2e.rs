//! `KeyLoader::provision` end to end: the real key service (`keybridge serve` in-process, SQLite)
//! in front of the AWS emulator, the real `KeyServiceClient` over HTTP, and the reader simulator
//! over a pty and TCP. Every success is checked against what the simulator really holds, and
//! every outcome against the service's own record (device view and audit trail).

use std::sync::Mutex;
use std::time::Duration;

use keybridge::export::KcvAlgorithm;
use keybridge::loader::{CancelHandle, LoadError, ReaderStatus};
use keybridge::provision::{ProvisionError, ProvisionOptions, ProvisionProgress, ProvisionReport, ProvisionedSlot};
use keybridge::service_api::{SlotOutcome, Verdict};
use keybridge::service_client::{KeyServiceClient, ServiceClientConfig, ServiceError};
use keybridge_e2e::{LINKS, Link, connect, fast_config};
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter, Record};
use keybridge_service::config::Config;
use keybridge_service_testing::{Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults as AwsFaults;
use keybridge_testkit::simulator::{FalseAnswer, Faults, SimulatorConfig, SimulatorHandle};
use sqlx::AnyPool;

/// The emulator, the key service on SQLite, and the runtime that serves it in the background
/// while the (blocking) provisioning runs on the test's thread.
struct Stage {
    runtime: tokio::runtime::Runtime,
    fixture: Fixture,
    config: Config,
    pool: AnyPool,
    service: Mutex<Option<Running>>,
    url: String,
}

impl Stage {
    fn start(aws: AwsFaults) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fixture = Fixture::start(aws);
        // A fixed port, so a restarted service is where the client looks for it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let overrides = Overrides::default().set("server.listen", format!("127.0.0.1:{port}"));
        let config = fixture.config(&fixture.sqlite("kb.db"), &overrides);
        let (service, pool) = runtime.block_on(async {
            let service = Running::start(&config, fixture.credentials()).await;
            let pool = keybridge_service::db::connect(&config.database).await.unwrap();
            (service, pool)
        });
        Self {
            url: service.url.clone(),
            runtime,
            fixture,
            config,
            pool,
            service: Mutex::new(Some(service)),
        }
    }

    /// Registers a reader with `profile` and returns its device token.
    fn enrol(&self, pos_id: &[u8], profile: &str) -> String {
        let pos_id = hex::encode_upper(pos_id);
        self.runtime
            .block_on(enrol(&self.pool, &self.config, &pos_id, profile, "shop-1"))
    }

    fn client(&self, token: &str) -> KeyServiceClient {
        KeyServiceClient::new(ServiceClientConfig {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            ..ServiceClientConfig::new(&self.url, token)
        })
        .unwrap()
    }

    /// A reader holding the fleet's KEK in every slot, reporting `pos_id`.
    fn reader(&self, link: Link, pos_id: &[u8], faults: Faults) -> (SimulatorHandle, keybridge::loader::KeyLoader) {
        let sim = SimulatorConfig {
            pos_id: pos_id.to_vec(),
            faults,
            ..SimulatorConfig::with_kek(self.fixture.kek.clone())
        };
        connect(link, sim, fast_config())
    }

    fn audit(&self, pos_id: &[u8]) -> Vec<Record> {
        let filter = Filter {
            device: Some(hex::encode_upper(pos_id)),
            since_ms: None,
        };
        self.runtime.block_on(audit::read(&self.pool, &filter)).unwrap()
    }

    fn stop_service(&self) {
        if let Some(service) = self.service.lock().unwrap().take() {
            self.runtime.block_on(service.stop());
        }
    }

    fn restart_service(&self) {
        let service = self
            .runtime
            .block_on(Running::start(&self.config, self.fixture.credentials()));
        *self.service.lock().unwrap() = Some(service);
    }
}

/// The report rows the audit trail holds for `request_id`: (slot, outcome or verdict).
fn reported(records: &[Record], request_id: &str) -> Vec<(i64, String)> {
    records
        .iter()
        .filter(|r| r.event == "report" && r.request_id.as_deref() == Some(request_id))
        .map(|r| (r.slot.unwrap_or(-1), r.outcome.clone().unwrap_or_default()))
        .collect()
}

fn slot(report: &ProvisionReport, slot: u8) -> &ProvisionedSlot {
    report.slots.iter().find(|s| s.slot == slot).unwrap()
}

/// The `standard` profile end to end over each link: an AES PIN key (AWS's CMAC KCV: loaded,
/// not verifiable), a TDES PIN key (verified), a TDES and an AES DUKPT initial key with their
/// KSNs. The reader holds exactly what AWS exported, and the service's verdicts say so.
#[test]
fn a_reader_is_provisioned_from_the_key_service_over_each_link() {
    let stage = Stage::start(AwsFaults::default());
    for (i, link) in LINKS.into_iter().enumerate() {
        let pos_id = [0xA0, i as u8, 0x01];
        let token = stage.enrol(&pos_id, "standard");
        let (handle, mut loader) = stage.reader(link, &pos_id, Faults::default());
        let report = loader
            .provision(&stage.client(&token), &ProvisionOptions::default(), None)
            .unwrap();
        assert_eq!(report.pos_id, hex::encode_upper(pos_id));
        assert!(!report.cancelled);
        let response = report.report.as_ref().expect("the report got through");
        assert_eq!(response.slots.len(), 4);
        for slot in &report.slots {
            let outcome = slot
                .result
                .as_ref()
                .unwrap_or_else(|e| panic!("{link:?} slot {}: {e}", slot.slot));
            // What the reader holds is what AWS exported.
            assert_eq!(
                handle.slot_kcv(slot.slot).map(hex::encode_upper),
                Some(hex::encode_upper(&outcome.reader_kcv)),
                "{link:?} slot {}",
                slot.slot
            );
            let comparable = slot.service_kcv_algorithm == KcvAlgorithm::AnsiX924;
            assert_eq!(outcome.is_verified(), comparable, "{link:?} slot {}", slot.slot);
            let verdict = if comparable {
                Verdict::Verified
            } else {
                Verdict::Unverifiable
            };
            assert_eq!(slot.verdict, Some(verdict), "{link:?} slot {}", slot.slot);
            assert_eq!(handle.slot_ksn(slot.slot), slot.ksn, "{link:?} slot {}", slot.slot);
        }
        assert!(
            slot(&report, 2)
                .ksn
                .as_deref()
                .is_some_and(|k| k.starts_with(Fixture::KSI))
        );
        assert!(
            slot(&report, 3)
                .ksn
                .as_deref()
                .is_some_and(|k| k.starts_with(Fixture::BDK_ID))
        );
        assert!(
            !report.all_verified(),
            "the AES keys cannot be verified against AWS's CMAC KCVs"
        );

        let audit = stage.audit(&pos_id);
        assert_eq!(audit.iter().filter(|r| r.event == "export").count(), 4, "{audit:?}");
        let mut rows = reported(&audit, &report.request_id);
        rows.sort();
        let expected: Vec<(i64, String)> = [
            (0, "unverifiable"),
            (1, "verified"),
            (2, "verified"),
            (3, "unverifiable"),
        ]
        .iter()
        .map(|(s, v)| (*s, (*v).to_owned()))
        .collect();
        assert_eq!(rows, expected, "{link:?}");
        let view = stage.client(&token).device(&report.pos_id).unwrap();
        assert!(
            view.slots
                .iter()
                .all(|s| s.report.as_ref().is_some_and(|r| r.outcome == SlotOutcome::Loaded))
        );
    }
}

/// A retried provisioning with the same `Idempotency-Key` gets the same request and KSNs.
#[test]
fn the_same_idempotency_key_gets_the_same_keys() {
    let stage = Stage::start(AwsFaults::default());
    let pos_id = [0xA1];
    let token = stage.enrol(&pos_id, "dukpt");
    let (_handle, mut loader) = stage.reader(Link::Tcp, &pos_id, Faults::default());
    let options = ProvisionOptions {
        idempotency_key: Some("retry-me-0001".into()),
        ..ProvisionOptions::default()
    };
    let client = stage.client(&token);
    let first = loader.provision(&client, &options, None).unwrap();
    let again = loader.provision(&client, &options, None).unwrap();
    assert_eq!(first.request_id, again.request_id);
    assert_eq!(slot(&first, 0).ksn, slot(&again, 0).ksn);
    assert!(first.all_verified() && again.all_verified());
    let fresh = loader.provision(&client, &ProvisionOptions::default(), None).unwrap();
    assert_ne!(
        slot(&fresh, 0).ksn,
        slot(&first, 0).ksn,
        "a new request gets a new Initial Key ID"
    );
}

/// A reader fault, the load error it must end in, and what the audit trail must record.
type FaultCase = (Faults, fn(&LoadError) -> bool, &'static str);

/// Readers that fail: each slot ends in a typed result, is reported as what it was, and the
/// audit trail records exactly that.
#[test]
fn reader_faults_are_reported_as_they_happened() {
    let stage = Stage::start(AwsFaults::default());
    let cases: [FaultCase; 3] = [
        // OK, but the reader stores nothing: the TDES IPEK's KCV is known, so a mismatch.
        (
            Faults {
                false_answer: Some(FalseAnswer::OkWithoutStoring),
                ..Faults::default()
            },
            |e| matches!(e, LoadError::Reader(_) | LoadError::KcvMismatch { .. }),
            "failed",
        ),
        // The reader refuses the block.
        (
            Faults {
                status: Some(ReaderStatus::MacError),
                ..Faults::default()
            },
            |e| matches!(e, LoadError::Reader(ReaderStatus::MacError)),
            "failed",
        ),
        // Every answer after the load is lost: nobody can tell.
        (
            Faults {
                drop_responses: 1000,
                ..Faults::default()
            },
            |e| matches!(e, LoadError::Indeterminate { .. }),
            "indeterminate",
        ),
    ];
    for (i, (faults, expected, recorded)) in cases.into_iter().enumerate() {
        let pos_id = [0xA2, i as u8];
        let token = stage.enrol(&pos_id, "dukpt");
        let (handle, mut loader) = stage.reader(Link::Tcp, &pos_id, Faults::default());
        let fault_the_loads = FaultOnceKeysArrive {
            handle: &handle,
            faults,
        };
        let report = loader
            .provision(
                &stage.client(&token),
                &ProvisionOptions::default(),
                Some(&fault_the_loads),
            )
            .unwrap();
        let result = &slot(&report, 0).result;
        assert!(result.as_ref().is_err_and(expected), "case {i}: {result:?}");
        assert!(report.report.is_ok(), "case {i}: {:?}", report.report);
        assert_eq!(
            reported(&stage.audit(&pos_id), &report.request_id),
            vec![(0, recorded.to_owned())],
            "case {i}"
        );
    }
}

/// Injects reader faults once the keys have arrived: the POS id is read without them, and the
/// loads meet them.
struct FaultOnceKeysArrive<'a> {
    handle: &'a SimulatorHandle,
    faults: Faults,
}

impl ProvisionProgress for FaultOnceKeysArrive<'_> {
    fn keys_received(&self, _request_id: &str, _slots: usize) {
        self.handle.set_faults(self.faults.clone());
    }
}

/// Service faults: a revoked token and an AWS that stays throttled end before anything is
/// loaded, with the service's stable code (and its Retry-After advice for the 503).
#[test]
fn service_faults_end_in_typed_errors_and_load_nothing() {
    let stage = Stage::start(AwsFaults::default());
    let pos_id = [0xA3];
    let token = stage.enrol(&pos_id, "dukpt");
    let token_id = token.split('_').nth(1).unwrap().to_owned();
    stage
        .runtime
        .block_on(keybridge_service::tokens::revoke(&stage.pool, &token_id, "test"))
        .unwrap();
    let (handle, mut loader) = stage.reader(Link::Tcp, &pos_id, Faults::default());
    let err = loader
        .provision(&stage.client(&token), &ProvisionOptions::default(), None)
        .unwrap_err();
    assert!(
        matches!(&err, ProvisionError::Service(ServiceError::Refused { status: 401, code, .. }) if code == "token_revoked"),
        "{err}"
    );
    assert_eq!(handle.slot_kcv(0), None);
    assert!(!err.to_string().contains(&token), "{err}");
    let audit = stage.audit(&pos_id);
    assert!(
        audit
            .iter()
            .any(|r| r.event == "refused" && r.code.as_deref() == Some("token_revoked")),
        "the refusal is audited: {audit:?}"
    );
    assert!(audit.iter().all(|r| r.event != "export"), "{audit:?}");

    let throttled = Stage::start(AwsFaults {
        throttle_first: 10_000,
        ..AwsFaults::default()
    });
    let token = throttled.enrol(&pos_id, "dukpt");
    let (handle, mut loader) = throttled.reader(Link::Tcp, &pos_id, Faults::default());
    let err = loader
        .provision(&throttled.client(&token), &ProvisionOptions::default(), None)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ProvisionError::Service(ServiceError::Unavailable { status: 503, retry_after: Some(_), code, .. })
                if code == "aws_unavailable"
        ),
        "{err}"
    );
    assert_eq!(handle.slot_kcv(0), None);
    // The failed request is audited with the Initial Key ID it burned; nothing was exported.
    let audit = throttled.audit(&pos_id);
    let failed: Vec<&Record> = audit.iter().filter(|r| r.event == "request_failed").collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|r| r.ksn.is_some()),
        "{audit:?}"
    );
    assert!(audit.iter().all(|r| r.event != "export"), "{audit:?}");
}

/// Stops the service when the last slot is loaded, and starts it again a moment later (or not).
struct ServiceOutage<'a> {
    stage: &'a Stage,
    comes_back: bool,
}

impl ProvisionProgress for ServiceOutage<'_> {
    fn slot_finished(&self, _slot: &ProvisionedSlot) {
        self.stage.stop_service();
        if self.comes_back {
            // Back before the client's retries run out (back-off 200 ms, then 400 ms, …).
            std::thread::sleep(Duration::from_millis(300));
            self.stage.restart_service();
        }
    }
}

/// A report that cannot get through is retried; one that never does leaves the load results as
/// they were (verified), and says so beside them.
#[test]
fn a_lost_report_is_retried_and_never_changes_a_load_result() {
    for comes_back in [true, false] {
        let stage = Stage::start(AwsFaults::default());
        let pos_id = [0xA4, u8::from(comes_back)];
        let token = stage.enrol(&pos_id, "dukpt");
        let (handle, mut loader) = stage.reader(Link::Tcp, &pos_id, Faults::default());
        let outage = ServiceOutage {
            stage: &stage,
            comes_back,
        };
        let report = loader
            .provision(&stage.client(&token), &ProvisionOptions::default(), Some(&outage))
            .unwrap();
        let loaded = slot(&report, 0).result.as_ref().unwrap();
        assert!(loaded.is_verified());
        assert_eq!(handle.slot_kcv(0), Some(loaded.reader_kcv.clone()));
        if comes_back {
            assert!(report.report.is_ok(), "{:?}", report.report);
            assert_eq!(
                reported(&stage.audit(&pos_id), &report.request_id),
                vec![(0, "verified".to_owned())]
            );
        } else {
            assert!(
                matches!(report.report, Err(ServiceError::Network { .. })),
                "{:?}",
                report.report
            );
            assert!(!report.all_verified());
            stage.restart_service();
            assert!(reported(&stage.audit(&pos_id), &report.request_id).is_empty());
        }
    }
}

/// Cancels the provisioning once the first slot is done, or (`before_any`) as soon as the keys
/// arrive.
struct CancelAt {
    cancel: CancelHandle,
    before_any: bool,
}

impl ProvisionProgress for CancelAt {
    fn keys_received(&self, _request_id: &str, _slots: usize) {
        if self.before_any {
            self.cancel.cancel();
        }
    }

    fn slot_finished(&self, _slot: &ProvisionedSlot) {
        self.cancel.cancel();
    }
}

/// What the service's view of a reader says of each slot: the outcome reported for `request_id`.
fn reported_outcomes(stage: &Stage, token: &str, pos_id: &str, request_id: &str) -> Vec<(u8, SlotOutcome)> {
    let view = stage.client(token).device(pos_id).unwrap();
    view.slots
        .iter()
        .map(|issued| {
            assert_eq!(issued.request_id, request_id, "slot {}", issued.slot);
            let report = issued
                .report
                .as_ref()
                .unwrap_or_else(|| panic!("slot {} not reported", issued.slot));
            (issued.slot, report.outcome)
        })
        .collect()
}

/// A provisioning cancelled halfway reports what it did, and the slots it never sent as failed:
/// the service's view says which key the reader holds and that it holds none of the others.
#[test]
fn a_cancelled_provisioning_reports_the_slots_it_never_sent_as_failed() {
    let stage = Stage::start(AwsFaults::default());
    let pos_id = [0xA5];
    let token = stage.enrol(&pos_id, "standard");
    let (handle, mut loader) = stage.reader(Link::Pty, &pos_id, Faults::default());
    let cancel = CancelAt {
        cancel: loader.cancel_handle(),
        before_any: false,
    };
    let report = loader
        .provision(&stage.client(&token), &ProvisionOptions::default(), Some(&cancel))
        .unwrap();
    assert!(report.cancelled && !report.all_verified());
    assert_eq!(report.slots.len(), 1);
    assert!(report.report.is_ok());
    assert!(handle.slot_kcv(0).is_some() && handle.slot_kcv(1).is_none());
    assert_eq!(
        reported_outcomes(&stage, &token, &report.pos_id, &report.request_id),
        [
            (0, SlotOutcome::Loaded),
            (1, SlotOutcome::Failed),
            (2, SlotOutcome::Failed),
            (3, SlotOutcome::Failed)
        ]
    );
}

/// Cancelled once the keys arrived and before the first load: nothing reaches the reader, the
/// call says it was cancelled, and the service is told that no slot was sent.
#[test]
fn a_provisioning_cancelled_before_the_first_load_reports_every_slot_failed() {
    let stage = Stage::start(AwsFaults::default());
    let pos_id = [0xA6];
    let token = stage.enrol(&pos_id, "standard");
    let (handle, mut loader) = stage.reader(Link::Tcp, &pos_id, Faults::default());
    let cancel = CancelAt {
        cancel: loader.cancel_handle(),
        before_any: true,
    };
    let outcome = loader.provision(&stage.client(&token), &ProvisionOptions::default(), Some(&cancel));
    assert!(matches!(outcome, Err(ProvisionError::Cancelled)), "{outcome:?}");
    assert!((0..4).all(|slot| handle.slot_kcv(slot).is_none()));
    let view = stage.client(&token).device(&hex::encode_upper(pos_id)).unwrap();
    let request_id = view.slots[0].request_id.clone();
    assert_eq!(
        reported_outcomes(&stage, &token, &hex::encode_upper(pos_id), &request_id),
        (0..4).map(|slot| (slot, SlotOutcome::Failed)).collect::<Vec<_>>()
    );
}
