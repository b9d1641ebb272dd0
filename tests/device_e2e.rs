//! `KeyLoader` against the reader simulator over a real pty and over TCP: loads, KCV checks,
//! MAC failures, every injected fault, the chunked path, policy refusals and bad arguments.
//! A reported success is always checked against what the simulator really stored.

use std::time::{Duration, Instant};

use keybridge::device::answer::ReaderStatus;
use keybridge::loader::{CheckValueType, KcvCheck, LoadError, LoadMethod, LoadRequest, LoadWarning, LoaderConfig};
use keybridge::tr31::{
    Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Version, WrapOptions, wrap,
};
use keybridge_e2e::{LINKS, Link, WORKING_KEY, aes_kcv, connect, fast_config, kek, p0_block};
use keybridge_testkit::simulator::{FALSE_ANSWER_NAMES, FalseAnswer, Faults, SimulatorConfig};

fn sim() -> SimulatorConfig {
    SimulatorConfig::with_kek(kek())
}

fn sim_with(faults: Faults) -> SimulatorConfig {
    SimulatorConfig { faults, ..sim() }
}

#[test]
fn version_d_p0_loads_and_the_kcv_matches() {
    for link in LINKS {
        let (handle, mut loader) = connect(link, sim(), fast_config());
        let info = loader.device_info().unwrap();
        assert_eq!(info.pos_id, "3131313131313131", "{link:?}");

        let outcome = loader
            .send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, true))
            .unwrap();
        assert_eq!(outcome.slot, 0);
        assert_eq!(
            (outcome.version, outcome.key_usage, outcome.algorithm),
            (Version::D, KeyUsage::P0, Algorithm::Aes)
        );
        assert_eq!(outcome.kcv_check, KcvCheck::MatchedKeyBlock);
        assert_eq!(outcome.reader_kcv, aes_kcv(&WORKING_KEY));
        assert_eq!(handle.slot_kcv(0), Some(aes_kcv(&WORKING_KEY)), "{link:?}");
        assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);

        let request = LoadRequest {
            slot: Some(7),
            expected_kcv: Some(aes_kcv(&WORKING_KEY)),
            ..LoadRequest::default()
        };
        let outcome = loader
            .send_tr31_key_with(&p0_block(kek().as_bytes(), &WORKING_KEY, false), &request)
            .unwrap();
        assert_eq!((outcome.slot, outcome.kcv_check), (7, KcvCheck::MatchedExpected));
        assert_eq!(
            loader.key_check_value(7, CheckValueType::MkskPik).unwrap(),
            aes_kcv(&WORKING_KEY)
        );
        assert_eq!(handle.slot_kcv(7), Some(aes_kcv(&WORKING_KEY)));
    }
}

#[test]
fn wrong_kek_is_a_mac_error_and_nothing_is_stored() {
    for link in LINKS {
        let (handle, mut loader) = connect(link, sim(), fast_config());
        let block = p0_block(&[0x77; 32], &WORKING_KEY, true);
        let err = loader.send_tr31_key(&block).unwrap_err();
        assert!(
            matches!(err, LoadError::Reader(ReaderStatus::MacError)),
            "{link:?}: {err}"
        );
        assert_eq!(err.dspread_error_name(), "MAC_ERROR");
        assert_eq!(handle.slot_kcv(0), None);
    }
}

#[test]
fn a_wrong_expected_kcv_is_never_success() {
    for link in LINKS {
        let (_handle, mut loader) = connect(link, sim(), fast_config());
        let request = LoadRequest {
            expected_kcv: Some(vec![0xDE, 0xAD, 0xBE]),
            ..LoadRequest::default()
        };
        let err = loader
            .send_tr31_key_with(&p0_block(kek().as_bytes(), &WORKING_KEY, true), &request)
            .unwrap_err();
        assert!(
            matches!(&err, LoadError::KcvMismatch { expected, .. } if expected == "DEADBE"),
            "{err}"
        );
    }
}

/// Faults the loader must ride out: the load succeeds and the reader holds the key.
#[test]
fn recoverable_faults_end_in_a_verified_success() {
    let faults = [
        Faults {
            drop_responses: 1,
            ..Faults::default()
        },
        // The load's answer and two check-value answers lost: the third read shows the key.
        Faults {
            drop_responses: 3,
            ..Faults::default()
        },
        Faults {
            corrupt_responses: 2,
            ..Faults::default()
        },
        Faults {
            busy: 3,
            ..Faults::default()
        },
        Faults {
            garbage_first: 37,
            ..Faults::default()
        },
        Faults {
            delay: Duration::from_millis(60),
            ..Faults::default()
        },
    ];
    for link in LINKS {
        for fault in &faults {
            let (handle, mut loader) = connect(link, sim_with(fault.clone()), fast_config());
            let outcome = loader
                .send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, true))
                .unwrap_or_else(|e| panic!("{link:?} {fault:?}: {e}"));
            assert_eq!(outcome.reader_kcv, aes_kcv(&WORKING_KEY));
            assert_eq!(handle.slot_kcv(0), Some(aes_kcv(&WORKING_KEY)), "{link:?} {fault:?}");
        }
    }
}

/// A fault, whether the block carries a KC block, and the error it must end in.
type Case = (Faults, bool, fn(&LoadError) -> bool);

/// Faults that must end in a clear typed error, quickly, and never in a reported success.
#[test]
fn unrecoverable_faults_end_in_typed_errors_within_the_timeout() {
    let cases: [Case; 6] = [
        // Refused and the answers lost: the slot's KCV shows no key, so the load is sent again
        // and the refusal comes back.
        (
            Faults {
                status: Some(ReaderStatus::MacError),
                drop_responses: 3,
                ..Faults::default()
            },
            true,
            |e| matches!(e, LoadError::Reader(ReaderStatus::MacError)),
        ),
        (
            Faults {
                status: Some(ReaderStatus::MacError),
                ..Faults::default()
            },
            true,
            |e| matches!(e, LoadError::Reader(ReaderStatus::MacError)),
        ),
        (
            Faults {
                status: Some(ReaderStatus::NotSupported),
                ..Faults::default()
            },
            true,
            |e| matches!(e, LoadError::Reader(ReaderStatus::NotSupported)),
        ),
        // The reader stores the key and the line drops mid-answer: nobody can tell.
        (
            Faults {
                disconnect_mid_frame: true,
                ..Faults::default()
            },
            true,
            |e| matches!(e, LoadError::Indeterminate { .. }),
        ),
        // Every answer lost, the key's KCV known: the slot cannot be read, so nobody can tell.
        (
            Faults {
                drop_responses: 1000,
                ..Faults::default()
            },
            true,
            |e| matches!(e, LoadError::Indeterminate { .. }),
        ),
        // Every answer lost and no KCV to check the slot with.
        (
            Faults {
                drop_responses: 1000,
                ..Faults::default()
            },
            false,
            |e| matches!(e, LoadError::Indeterminate { .. }),
        ),
    ];
    for link in LINKS {
        for (fault, with_kc, expected) in &cases {
            let (handle, mut loader) = connect(link, sim_with(fault.clone()), fast_config());
            let start = Instant::now();
            let result = loader.send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, *with_kc));
            let err = result.expect_err("a fault that prevents verification must not report success");
            assert!(expected(&err), "{link:?} {fault:?}: {err:?}");
            assert!(
                start.elapsed() < Duration::from_secs(6),
                "{link:?} {fault:?} took {:?}",
                start.elapsed()
            );
            if fault.status.is_some() {
                assert_eq!(handle.slot_kcv(0), None, "a refused load stored nothing");
            }
        }
    }
}

/// A lost load answer is settled by reading the slot's KCV: no poll (whose answer could be an
/// earlier load's) and no second load.
#[test]
fn a_lost_load_answer_is_settled_by_the_kcv_not_by_a_poll_or_a_resend() {
    for link in LINKS {
        let faults = Faults {
            drop_responses: 1,
            ..Faults::default()
        };
        let (handle, mut loader) = connect(link, sim_with(faults), fast_config());
        let block = p0_block(kek().as_bytes(), &WORKING_KEY, true);
        let outcome = loader.send_tr31_key(&block).unwrap();
        assert!(outcome.is_verified());
        // One load, one KCV read that shows the key.
        assert_eq!(handle.frames_received(), 2, "{link:?}");
    }
}

/// The key a slot holds before each misbehaviour test, so a reader that stores nothing still
/// reports a KCV: the previous key's.
const OLD_KEY: [u8; 16] = [0x33; 16];

/// What a reported outcome must honour: "verified" only if the reader holds the key, and
/// "unverified" only if no KCV of the key was known.
fn assert_truthful(
    result: &Result<keybridge::loader::KeyLoadOutcome, LoadError>,
    handle: &keybridge_testkit::simulator::SimulatorHandle,
    kcv_known: bool,
    context: &str,
) {
    match result {
        Ok(outcome) if outcome.is_verified() => {
            assert_eq!(
                handle.slot_kcv(0),
                Some(aes_kcv(&WORKING_KEY)),
                "{context}: verified but not held"
            );
        }
        Ok(outcome) => assert!(
            !kcv_known,
            "{context}: unverified although the KCV was known: {outcome:?}"
        ),
        Err(_) => {}
    }
}

/// Every way a misbehaving reader can answer a load it did not carry out, with and without a
/// known KCV, for one load or all: verified success, a typed error or `Indeterminate`, and
/// never a success the reader's storage contradicts.
#[test]
fn false_answers_never_become_a_verified_load() {
    for link in LINKS {
        for (name, lie) in FALSE_ANSWER_NAMES {
            for limit in [Some(1), None] {
                for with_kc in [true, false] {
                    let context = format!("{link:?} {name} limit {limit:?} KC {with_kc}");
                    let (handle, mut loader) = connect(link, sim(), fast_config());
                    loader
                        .send_tr31_key(&p0_block(kek().as_bytes(), &OLD_KEY, true))
                        .unwrap();
                    handle.set_faults(Faults {
                        false_answer: Some(lie),
                        false_answer_limit: limit,
                        ..Faults::default()
                    });
                    let result = loader.send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, with_kc));
                    assert_truthful(&result, &handle, with_kc, &context);
                    if limit.is_none() {
                        // The reader never stores the key: nothing may claim it is there.
                        assert!(!result.as_ref().is_ok_and(|o| o.is_verified()), "{context}: {result:?}");
                        assert_eq!(handle.slot_kcv(0), Some(aes_kcv(&OLD_KEY)), "{context}");
                    }
                    // Only a proper OK to the load is the reader's word that it took the key; every
                    // other answer leaves nothing to report but an error or `Indeterminate`.
                    if limit.is_none() && (with_kc || lie != FalseAnswer::OkWithoutStoring) {
                        assert!(result.is_err(), "{context}: {result:?}");
                    }
                }
            }
        }
    }
}

/// A lie only on the first load, with the KCV known: the KCV shows the reader does not hold the
/// key, so the load is sent again, and the second, honest answer is verified.
#[test]
fn a_single_false_answer_with_a_known_kcv_recovers_to_a_verified_load() {
    for lie in [FalseAnswer::BareOk, FalseAnswer::Continue, FalseAnswer::WrongCommand] {
        let (handle, mut loader) = connect(Link::Tcp, sim(), fast_config());
        handle.set_faults(Faults {
            false_answer: Some(lie),
            false_answer_limit: Some(1),
            ..Faults::default()
        });
        let outcome = loader
            .send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, true))
            .unwrap_or_else(|e| panic!("{lie:?}: {e}"));
        assert!(outcome.is_verified(), "{lie:?}");
        assert_eq!(handle.slot_kcv(0), Some(aes_kcv(&WORKING_KEY)));
    }
}

/// A reader whose KCVs are 0–2 bytes long: its KCV can match nothing, known or not.
#[test]
fn short_reader_kcvs_are_errors() {
    for length in 0..3 {
        for with_kc in [true, false] {
            let faults = Faults {
                short_kcv: Some(length),
                ..Faults::default()
            };
            let (handle, mut loader) = connect(Link::Tcp, sim_with(faults), fast_config());
            let request = LoadRequest {
                expected_kcv: (!with_kc).then(|| aes_kcv(&WORKING_KEY)),
                ..LoadRequest::default()
            };
            let result = loader.send_tr31_key_with(&p0_block(kek().as_bytes(), &WORKING_KEY, with_kc), &request);
            assert!(
                matches!(result, Err(LoadError::ShortReaderKcv { length: l }) if l == length),
                "{length} {with_kc}: {result:?}"
            );
            // Without any known KCV the short KCV is an error too, not an unverified success.
            let result = loader.send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, false));
            assert!(matches!(result, Err(LoadError::ShortReaderKcv { .. })), "{result:?}");
            assert_eq!(handle.slot_kcv(0), Some(aes_kcv(&WORKING_KEY)));
        }
    }
}

#[test]
fn the_chunked_path_loads_slot_0() {
    for link in LINKS {
        let config = LoaderConfig {
            method: LoadMethod::Chunked,
            ..fast_config()
        };
        let (handle, mut loader) = connect(link, sim(), config);
        let outcome = loader
            .send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, true))
            .unwrap();
        assert_eq!(outcome.kcv_check, KcvCheck::MatchedKeyBlock);
        assert_eq!(handle.slot_kcv(0), Some(aes_kcv(&WORKING_KEY)));
        assert!(handle.frames_received() > 3, "several chunks went over the wire");
    }
}

#[test]
fn policy_refusals_and_bad_slots_send_nothing() {
    for link in LINKS {
        let (handle, mut loader) = connect(link, sim(), fast_config());
        let mut header = Header::new(
            Version::D,
            KeyUsage::M6,
            Algorithm::Aes,
            ModeOfUse::GenerateAndVerify,
            Exportability::NonExportable,
        );
        let m6 = wrap(kek().as_bytes(), &header, &WORKING_KEY, &WrapOptions::default()).unwrap();
        let err = loader.send_tr31_key(&m6).unwrap_err();
        assert!(
            matches!(&err, LoadError::Refused { reason, .. } if reason.contains("M6")),
            "{err}"
        );

        header = Header::new(
            Version::B,
            KeyUsage::B1,
            Algorithm::Tdes,
            ModeOfUse::DeriveKeys,
            Exportability::NonExportable,
        );
        let b1 = wrap(&[0x11; 16], &header, &[0x22; 16], &WrapOptions::default()).unwrap();
        let err = loader.send_tr31_key(&b1).unwrap_err();
        assert!(
            matches!(&err, LoadError::Refused { reason, .. } if reason.contains("KSN")),
            "{err}"
        );

        let request = LoadRequest {
            slot: Some(10),
            ..LoadRequest::default()
        };
        let err = loader
            .send_tr31_key_with(&p0_block(kek().as_bytes(), &WORKING_KEY, true), &request)
            .unwrap_err();
        assert!(matches!(err, LoadError::InvalidArgument { .. }), "{err}");
        assert_eq!(err.dspread_error_name(), "INPUT_INVALID");
        assert_eq!(handle.frames_received(), 0, "{link:?}: nothing may be sent");
    }
}

#[test]
fn b1_keys_load_with_a_ks_block_or_a_ksn() {
    for link in LINKS {
        let tdes_kek = [0x11u8; 16];
        let (handle, mut loader) = connect(
            link,
            SimulatorConfig::with_kek(keybridge::SecretBytes::from_slice(&tdes_kek)),
            fast_config(),
        );
        let mut header = Header::new(
            Version::B,
            KeyUsage::B1,
            Algorithm::Tdes,
            ModeOfUse::DeriveKeys,
            Exportability::NonExportable,
        );
        let plain = wrap(&tdes_kek, &header, &[0x22; 16], &WrapOptions::default()).unwrap();
        header
            .optional_blocks
            .push(OptionalBlock::new("KS", "FFFF9876543210E00000"));
        let with_ks = wrap(&tdes_kek, &header, &[0x22; 16], &WrapOptions::default()).unwrap();

        let outcome = loader
            .send_tr31_key_with(
                &with_ks,
                &LoadRequest {
                    slot: Some(1),
                    ..LoadRequest::default()
                },
            )
            .unwrap();
        assert_eq!(outcome.kcv_check, KcvCheck::Unverified);
        assert!(outcome.warnings.contains(&LoadWarning::NoKcvToCompare));
        let request = LoadRequest {
            slot: Some(2),
            ksn: Some("FFFF9876543210E00000".into()),
            ..LoadRequest::default()
        };
        let outcome = loader.send_tr31_key_with(&plain, &request).unwrap();
        assert_eq!(outcome.check_value_type, Some(CheckValueType::DukptPinIpek));
        assert_eq!(hex::encode_upper(&outcome.reader_ksn), "FFFF9876543210E00000");
        assert!(handle.slot_kcv(1).is_some() && handle.slot_kcv(2).is_some(), "{link:?}");
        assert_eq!(handle.slot_ksn(2).as_deref(), Some("FFFF9876543210E00000"));
    }
}

#[test]
fn cancellation_from_another_thread_stops_a_slow_load() {
    let faults = Faults {
        delay: Duration::from_secs(3),
        ..Faults::default()
    };
    let config = LoaderConfig {
        command_timeout: Duration::from_secs(10),
        ..fast_config()
    };
    let (_handle, mut loader) = connect(Link::Tcp, sim_with(faults), config);
    let cancel = loader.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        cancel.cancel();
    });
    let start = Instant::now();
    let err = loader
        .send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, true))
        .unwrap_err();
    assert!(matches!(err, LoadError::Cancelled), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));
    canceller.join().unwrap();
}

#[test]
fn pty_clients_may_reconnect_and_read_what_was_loaded() {
    let (handle, mut loader) = connect(Link::Pty, sim(), fast_config());
    loader
        .send_tr31_key(&p0_block(kek().as_bytes(), &WORKING_KEY, true))
        .unwrap();
    loader.close();
    drop(loader);
    let mut again =
        keybridge::loader::KeyLoader::open_serial(handle.endpoint(), &Default::default(), fast_config()).unwrap();
    assert_eq!(
        again.key_check_value(0, CheckValueType::MkskPik).unwrap(),
        aes_kcv(&WORKING_KEY)
    );
    let err = again.key_check_value(1, CheckValueType::MkskPik).unwrap_err();
    assert!(matches!(err, LoadError::Reader(ReaderStatus::KeyNotFound)), "{err}");
}
