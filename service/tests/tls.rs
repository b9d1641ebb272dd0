//! TLS and mutual TLS on the listener, and the refusal of plain HTTP off loopback.

use std::sync::Arc;

use axum::http::Method;
use keybridge::service_api::KeyRequestResponse;
use keybridge_service::{Overrides, ServerError, Service};
use keybridge_service_testing::{Client, Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files in `dir`.
struct Pki {
    ca: CertificateDer<'static>,
    client_chain: Vec<CertificateDer<'static>>,
    client_key_pem: String,
}

fn make_pki(dir: &std::path::Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf = |name: &str, purpose| {
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.extended_key_usages = vec![purpose];
        let key = KeyPair::generate().unwrap();
        (params.signed_by(&key, &ca).unwrap(), key)
    };
    let (server, server_key) = leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
    let (client, client_key) = leaf("POS-T", ExtendedKeyUsagePurpose::ClientAuth);
    std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    Pki {
        ca: ca.der().clone(),
        client_chain: vec![client.der().clone()],
        client_key_pem: client_key.serialize_pem(),
    }
}

fn client_config(pki: &Pki, with_certificate: bool) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(if with_certificate {
        let key = PrivateKeyDer::from_pem_slice(pki.client_key_pem.as_bytes()).unwrap();
        builder.with_client_auth_cert(pki.client_chain.clone(), key).unwrap()
    } else {
        builder.with_no_client_auth()
    })
}

#[tokio::test]
async fn mutual_tls_admits_only_clients_with_a_certificate_from_the_ca() {
    let fixture = Fixture::start(Faults::default());
    let pki = make_pki(fixture.dir());
    let file = |name: &str| fixture.dir().join(name).display().to_string();
    let overrides = Overrides::default()
        .set("server.tls_cert", file("server.pem"))
        .set("server.tls_key", file("server.key"))
        .set("server.client_ca", file("ca.pem"));
    let config = fixture.config(&fixture.sqlite("kb.db"), &overrides);
    let service = Running::start(&config, fixture.credentials()).await;
    assert!(service.url.starts_with("https://"));
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-T", "dukpt", "shop").await;

    let admitted = Client::new(&service.url, Some(client_config(&pki, true))).with_token(&token);
    let reply = admitted
        .post_json("/v1/devices/POS-T/key-requests", &serde_json::json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert!(reply.json::<KeyRequestResponse>().keys[0].ksn.is_some());

    let anonymous = Client::new(&service.url, Some(client_config(&pki, false)));
    let refused = match anonymous.connect().await {
        Err(_) => true,
        Ok(mut connection) => connection.send(Method::GET, "/healthz", &[], None).await.is_err(),
    };
    assert!(refused, "a client without a certificate gets no answer");
    service.stop().await;
}

#[tokio::test]
async fn plain_http_is_refused_off_loopback() {
    let fixture = Fixture::start(Faults::default());
    let overrides = Overrides::default().set("server.listen", "0.0.0.0:0");
    let config = fixture.config(&fixture.sqlite("kb.db"), &overrides);
    let refused = Service::start(&config, fixture.credentials()).await.err();
    assert!(
        matches!(refused, Some(ServerError::PlainHttpExposed(_))),
        "{:?}",
        refused.map(|e| e.to_string())
    );
}
