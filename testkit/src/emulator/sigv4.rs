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

/// Longest the service tolerates between a request's `X-Amz-Date` and its own clock.
pub const MAX_CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The checks that need no body, made before the body is read so an unsigned client cannot
/// make the emulator buffer anything: a known access key and an `X-Amz-Date` within
/// [`MAX_CLOCK_SKEW`] of `now`.
pub fn check_headers(
    headers: &[(String, String)],
    creds: &Credentials,
    now: std::time::SystemTime,
) -> Result<(), ServiceError> {
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    authorization(header("authorization"), creds)?;
    let amz_date = header("x-amz-date")
        .ok_or_else(|| ServiceError::new("InvalidSignatureException", "Missing X-Amz-Date header"))?;
    let signed = parse_amz_date(amz_date)
        .ok_or_else(|| ServiceError::new("InvalidSignatureException", "X-Amz-Date is not YYYYMMDD'T'HHMMSS'Z'"))?;
    let now = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if signed.abs_diff(now) > MAX_CLOCK_SKEW.as_secs() {
        return Err(ServiceError::new(
            "InvalidSignatureException",
            format!("Signature expired or not yet current: {amz_date} is more than 5 minutes from the server time"),
        ));
    }
    Ok(())
}

/// Seconds since 1970 of an `X-Amz-Date` (`20150830T123600Z`).
fn parse_amz_date(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u64>().ok();
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (proleptic Gregorian; the year starts in March).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + day - 1 - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// The parsed `Authorization` header of a known access key.
fn authorization<'a>(header: Option<&'a str>, creds: &Credentials) -> Result<Authorization<'a>, ServiceError> {
    let header = header
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
    Ok(auth)
}

/// Checks the request's signature against `creds`; the error is what the service would say.
pub fn verify(request: &SignedRequest<'_>, creds: &Credentials) -> Result<(), ServiceError> {
    let auth = authorization(request.header("authorization"), creds)?;
    let expected = signature(request, &auth, creds)?;
    if expected.as_bytes().ct_eq(auth.signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(ServiceError::new(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ))
    }
}

/// The signature `request` should carry under the scope and signed headers of `auth`.
fn signature(
    request: &SignedRequest<'_>,
    auth: &Authorization<'_>,
    creds: &Credentials,
) -> Result<String, ServiceError> {
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
    // The body's hash is always part of the signature; a declared hash must be the real one.
    let payload_hash = hex::encode(Sha256::digest(request.body));
    if let Some(declared) = request.header("x-amz-content-sha256")
        && declared != payload_hash
    {
        return Err(ServiceError::new(
            "InvalidSignatureException",
            "X-Amz-Content-Sha256 does not match the request body",
        ));
    }
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
    Ok(hex::encode(hmac(&key, string_to_sign.as_bytes())))
}

/// Signs `request` for `creds`, dated `amz_date`, over the headers it holds: what a client SDK
/// does, for tests that must send what no SDK would (malformed JSON, oversized bodies).
#[cfg(test)]
pub(super) fn sign(request: &mut SignedRequest<'_>, creds: &Credentials, amz_date: &str) {
    request
        .headers
        .retain(|(n, _)| n != "authorization" && n != "x-amz-date");
    request.headers.push(("x-amz-date".into(), amz_date.into()));
    let mut names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let (date, signed_headers) = (&amz_date[..8], names.join(";"));
    let scope = format!("{date}/us-east-1/payment-cryptography/aws4_request");
    let unsigned = Authorization {
        access_key_id: &creds.access_key_id,
        scope: &scope,
        date,
        signed_headers: &signed_headers,
        signature: "",
    };
    let value = signature(request, &unsigned, creds).expect("dated above");
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={value}",
        creds.access_key_id
    );
    request.headers.push(("authorization".into(), header));
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
    fn dates_more_than_five_minutes_off_are_refused_before_the_body_is_read() {
        let request = vanilla("00");
        let signed_at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        let minute = std::time::Duration::from_secs(60);
        for now in [signed_at, signed_at + 4 * minute, signed_at - 4 * minute] {
            check_headers(&request.headers, &creds(SECRET), now).unwrap();
        }
        for now in [signed_at + 6 * minute, signed_at - 6 * minute] {
            let err = check_headers(&request.headers, &creds(SECRET), now).unwrap_err();
            assert_eq!(err.code, "InvalidSignatureException");
            assert!(err.message.contains("5 minutes"), "{}", err.message);
        }
        assert_eq!(parse_amz_date("20151330T123600Z"), None);
        assert_eq!(parse_amz_date("2015-08-30T12:36"), None);
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
