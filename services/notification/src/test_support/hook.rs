//! A merchant's webhook endpoint: a local HTTP/1.1 server (hyper) that
//! records every request and answers with the statuses it was given, in
//! order, then 200. With a [`TestCa`]'s server config it speaks HTTPS.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// One request as received.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    /// Request target (path and query).
    pub target: String,
    /// Headers.
    pub headers: HeaderMap,
    /// The exact body bytes.
    pub body: Bytes,
}

impl Received {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// A running endpoint; stops when dropped.
pub(crate) struct Hook {
    /// Base URL (`http://127.0.0.1:<port>` or `https://...`).
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    task: JoinHandle<()>,
}

impl Hook {
    /// An endpoint answering `answers` in order, then 200; HTTPS with `tls`.
    pub async fn start(answers: &[u16], tls: Option<Arc<ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let received = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(answers.iter().copied().collect::<VecDeque<_>>()));
        let (log, plan) = (received.clone(), answers.clone());
        let acceptor = tls.map(TlsAcceptor::from);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (log, plan, acceptor) = (log.clone(), plan.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request| respond(request, log.clone(), plan.clone()));
                    let builder = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                let _ = builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
        });
        Self {
            base: format!("{scheme}://127.0.0.1:{port}"),
            received,
            answers,
            task,
        }
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }

    /// Answers `status` to the requests from now on, until changed.
    pub fn answer_always(&self, status: u16) {
        let mut answers = self.answers.lock().expect("plan");
        answers.clear();
        answers.extend(std::iter::repeat_n(status, 1_000));
    }

    /// Waits until `count` requests arrived, failing after 10 s.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} requests expected, {} received",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn respond(
    request: Request<Incoming>,
    log: Arc<Mutex<Vec<Received>>>,
    plan: Arc<Mutex<VecDeque<u16>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    log.lock().expect("log").push(Received {
        target,
        headers,
        body,
    });
    let status = plan.lock().expect("plan").pop_front().unwrap_or(200);
    let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    Ok(response)
}
