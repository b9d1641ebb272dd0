//! Fault injection: the failures a client must survive or report, on demand.

use std::time::Duration;

use super::service_error::ServiceError;

/// Which faults to inject. Counts apply to authenticated calls, in arrival order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Answer the first n calls with `ThrottlingException` (429).
    pub throttle_first: u32,
    /// Answer the first n calls with `InternalServerException` (500).
    pub fail_first: u32,
    /// Answer the first n calls with `ServiceUnavailableException` (503).
    pub unavailable_first: u32,
    /// Hold every reply this long before answering.
    pub delay: Duration,
    /// Operations answered with `AccessDeniedException` (403), as for an identity without the
    /// IAM permission.
    pub deny: Vec<String>,
    /// Refuse CreateKey/ImportKey with `ServiceQuotaExceededException` (402) once this many keys
    /// exist.
    pub max_keys: Option<usize>,
    /// The account's request quota, as AWS enforces it: calls per second over every client
    /// together (a token bucket holding one second's calls); calls above it are answered
    /// `ThrottlingException` (429).
    pub account_calls_per_second: Option<u32>,
}

impl Faults {
    /// The injected error for call number `index` (0-based) of `operation`, if any.
    pub fn error_for(&self, index: u32, operation: &str) -> Option<ServiceError> {
        if self.deny.iter().any(|d| d == operation) {
            return Some(ServiceError::new(
                "AccessDeniedException",
                format!("User is not authorized to perform: payment-cryptography:{operation}"),
            ));
        }
        let windows = [
            (self.throttle_first, "ThrottlingException", "Rate exceeded"),
            (
                self.fail_first,
                "InternalServerException",
                "Internal server error (injected)",
            ),
            (
                self.unavailable_first,
                "ServiceUnavailableException",
                "Service unavailable (injected)",
            ),
        ];
        windows
            .iter()
            .find(|(n, _, _)| index < *n)
            .map(|(_, code, message)| ServiceError::new(code, *message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_only_the_first_calls() {
        let faults = Faults {
            throttle_first: 2,
            deny: vec!["ExportKey".into()],
            ..Default::default()
        };
        assert_eq!(faults.error_for(1, "GetKey").unwrap().status, 429);
        assert_eq!(faults.error_for(2, "GetKey"), None);
        assert_eq!(faults.error_for(9, "ExportKey").unwrap().code, "AccessDeniedException");
    }
}
