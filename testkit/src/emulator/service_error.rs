//! Errors as the service returns them: an HTTP status, `x-amzn-ErrorType`, and a JSON body
//! `{"__type": …, "message": …}` (awsJson 1.0).

/// One error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub code: &'static str,
    pub status: u16,
    pub message: String,
}

/// (`__type`, HTTP status) of every error the emulator returns, as the real service does.
const ERRORS: &[(&str, u16)] = &[
    ("ValidationException", 400),
    ("SerializationException", 400),
    ("RequestEntityTooLargeException", 413),
    ("ServiceQuotaExceededException", 402),
    ("AccessDeniedException", 403),
    ("UnrecognizedClientException", 403),
    ("InvalidSignatureException", 403),
    ("MissingAuthenticationTokenException", 403),
    ("ResourceNotFoundException", 404),
    ("ConflictException", 409),
    ("ThrottlingException", 429),
    ("InternalServerException", 500),
    ("ServiceUnavailableException", 503),
    ("UnknownOperationException", 400),
];

impl ServiceError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        let status = ERRORS.iter().find(|(c, _)| *c == code).map(|(_, s)| *s).unwrap_or(500);
        Self {
            code,
            status,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", message)
    }

    pub fn body(&self) -> String {
        serde_json::json!({ "__type": self.code, "message": self.message }).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_the_service_status() {
        assert_eq!(ServiceError::new("ServiceQuotaExceededException", "x").status, 402);
        assert_eq!(ServiceError::new("ThrottlingException", "x").status, 429);
        assert!(
            ServiceError::validation("bad")
                .body()
                .contains("\"__type\":\"ValidationException\"")
        );
    }
}
