//! SigV4 verification: recompute the signature of each request with the configured secret and
//! compare in constant time, so a client with a wrong secret key is refused as the service would.
//! Only the parts awsJson requests use are implemented: `POST /`, no query string, signed
//! headers from the `Authorization` header.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::service_error::ServiceError;

type HmacSha256 = Hmac<Sha256>;

/// The credentials the emulator accepts.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, [REDACTED])", self.access_key_id)
    }
}

/// The parts of a request that are signed.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Header (lower-case name, value) pairs; a name may repeat.
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

struct Authorization<'a> {
    access_key_id: &'a str,
    scope: &'a str,
    date: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let (access_key_id, scope) = credential?.split_once('/')?;
    let date = scope.split('/').next()?;
    Some(Authorization {
        access_key_id,
        scope,
        date,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|p| {
            if p.contains('=') {
                (*p).to_owned()
            } else {
                format!("{p}=")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Checks the request's signature against `creds`; the error is what the service would say.
pub fn verify(request: &SignedRequest<'_>, creds: &Credentials) -> Result<(), ServiceError> {
    let header = request
        .header("authorization")
        .ok_or_else(|| ServiceError::new("MissingAuthenticationTokenException", "Missing Authentication Token"))?;
    let auth = parse_authorization(header).ok_or_else(|| {
        ServiceError::new(
            "InvalidSignatureException",
            "Authorization header is not AWS4-HMAC-SHA256",
        )
    })?;
    if auth.access_key_id != creds.access_key_id {
        return Err(ServiceError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    let amz_date = request
        .header("x-amz-date")
        .ok_or_else(|| ServiceError::new("InvalidSignatureException", "Missing X-Amz-Date header"))?;

    let mut canonical_headers = String::new();
    for name in auth.signed_headers.split(';') {
        let values: Vec<String> = request
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(hash) => hash.to_owned(),
        None => hex::encode(Sha256::digest(request.body)),
    };
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        request.path,
        canonical_query(request.query),
        canonical_headers,
        auth.signed_headers,
        payload_hash
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
        auth.scope,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        auth.date.as_bytes(),
    );
    for part in auth.scope.split('/').skip(1) {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    if expected.as_bytes().ct_eq(auth.signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(ServiceError::new(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The "get-vanilla" example of the published AWS SigV4 test suite (example credentials).
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn vanilla(signature: &str) -> SignedRequest<'static> {
        SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: vec![
                ("host".into(), "example.amazonaws.com".into()),
                ("x-amz-date".into(), "20150830T123600Z".into()),
                (
                    "authorization".into(),
                    format!(
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                         SignedHeaders=host;x-amz-date, Signature={signature}"
                    ),
                ),
            ],
            body: b"",
        }
    }

    fn creds(secret: &str) -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: secret.into(),
        }
    }

    #[test]
    fn the_published_vanilla_signature_verifies() {
        let good = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        verify(&vanilla(good), &creds(SECRET)).unwrap();
        let wrong = verify(&vanilla(good), &creds("not-the-secret")).unwrap_err();
        assert_eq!(wrong.code, "InvalidSignatureException");
        let tampered = verify(&vanilla(&good.replace('5', "6")), &creds(SECRET)).unwrap_err();
        assert_eq!(tampered.code, "InvalidSignatureException");
    }

    #[test]
    fn unknown_keys_and_missing_auth_are_refused() {
        let mut other = creds(SECRET);
        other.access_key_id = "AKIDOTHER".into();
        assert_eq!(
            verify(&vanilla("00"), &other).unwrap_err().code,
            "UnrecognizedClientException"
        );
        let mut bare = vanilla("00");
        bare.headers.retain(|(n, _)| n != "authorization");
        assert_eq!(
            verify(&bare, &creds(SECRET)).unwrap_err().code,
            "MissingAuthenticationTokenException"
        );
    }
}
