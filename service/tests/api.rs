//! The device API on SQLite: the shared scenarios, then what only needs one engine.

mod scenarios;

#[tokio::test]
async fn provision_report_and_show_on_sqlite() {
    scenarios::provision_report_and_show(|f| f.sqlite("kb.db")).await;
}

#[tokio::test]
async fn idempotent_retries_on_sqlite() {
    scenarios::idempotent_retries(|f| f.sqlite("kb.db")).await;
}
