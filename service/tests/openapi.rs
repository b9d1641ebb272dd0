//! `service/openapi.yaml` documents exactly the routes the router serves, and exactly the error
//! codes (with their statuses) of `keybridge::service_api::ErrorCode`.
//!
//! The file is read line by line in the layout it is written in (paths at two spaces, methods at
//! four), which is all this check needs and keeps a YAML parser out of the build.

use std::collections::BTreeSet;

use keybridge::service_api::ErrorCode;

const SPEC: &str = include_str!("../openapi.yaml");

fn documented_routes() -> BTreeSet<(String, String)> {
    let paths = SPEC
        .split("\npaths:\n")
        .nth(1)
        .and_then(|rest| rest.split("\ncomponents:\n").next())
        .expect("openapi.yaml has paths: then components:");
    let mut routes = BTreeSet::new();
    let mut current = None;
    for line in paths.lines() {
        if let Some(path) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            current = Some(format!("/{path}"));
        } else if let Some(method) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))
            && ["get", "post", "put", "patch", "delete"].contains(&method)
        {
            let path = current.clone().expect("a method under a path");
            routes.insert((method.to_ascii_uppercase(), path));
        }
    }
    routes
}

#[test]
fn the_spec_documents_every_route_and_no_other() {
    let served: BTreeSet<(String, String)> = keybridge_service::api::routes()
        .table()
        .iter()
        .map(|(method, path)| (method.to_string(), (*path).to_owned()))
        .collect();
    assert_eq!(documented_routes(), served);
}

#[test]
fn the_spec_lists_every_error_code_with_its_status() {
    let documented: BTreeSet<(String, u16)> = SPEC
        .lines()
        .filter_map(|line| {
            let (code, status) = line.trim().strip_prefix("- ")?.split_once('#')?;
            Some((code.trim().to_owned(), status.trim().parse().ok()?))
        })
        .collect();
    let defined: BTreeSet<(String, u16)> = ErrorCode::all()
        .map(|code| (code.as_str().to_owned(), code.http_status()))
        .collect();
    assert_eq!(documented, defined);
}
