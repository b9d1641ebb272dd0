//! A small HTTP/1.1 client on hyper for tests and the benchmark: keep-alive connections, plain or
//! TLS (with an optional client certificate), bearer tokens, JSON bodies.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{HeaderMap, Method, Request};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Where the service is and how to reach it.
#[derive(Clone)]
pub struct Client {
    address: SocketAddr,
    tls: Option<Arc<ClientConfig>>,
    token: Option<String>,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as `T`; panics with the body text when it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    /// The `code` of an error body.
    pub fn error_code(&self) -> String {
        let body: keybridge::service_api::ErrorBody = self.json();
        body.error.code
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    /// A client for `url` (`http://127.0.0.1:PORT`); `tls` for `https://`.
    pub fn new(url: &str, tls: Option<Arc<ClientConfig>>) -> Self {
        let authority = url.split("://").nth(1).unwrap_or(url).trim_end_matches('/');
        Self {
            address: authority.parse().expect("the service URL has an IP:port authority"),
            tls,
            token: None,
        }
    }

    /// The same client sending `Authorization: Bearer token`.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Opens a keep-alive connection.
    pub async fn connect(&self) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(self.address).await?;
        stream.set_nodelay(true)?;
        let sender = match &self.tls {
            Some(config) => {
                let name = ServerName::from(self.address.ip());
                let stream = TlsConnector::from(config.clone()).connect(name, stream).await?;
                handshake(TokioIo::new(stream)).await?
            }
            None => handshake(TokioIo::new(stream)).await?,
        };
        Ok(Connection {
            sender,
            token: self.token.clone(),
        })
    }

    /// One request on a fresh connection.
    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
        let mut connection = self.connect().await.expect("the service accepts connections");
        connection
            .send(method, path, headers, body)
            .await
            .expect("the service answers")
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        let bytes = serde_json::to_vec(body).expect("JSON");
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            Some(&bytes),
        )
        .await
    }
}

async fn handshake<I>(io: I) -> std::io::Result<SendRequest<Full<Bytes>>>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(connection);
    Ok(sender)
}

/// A keep-alive connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    token: Option<String>,
}

impl Connection {
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, hyper::Error> {
        let mut request = Request::builder().method(method).uri(path).header("host", "keybridge");
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))
            .expect("a valid request");
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply { status, headers, body })
    }
}
