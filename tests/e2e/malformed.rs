//! 100,000 malformed requests built from the descriptors alone, spread over
//! every RPC of every service: each is answered with a status a caller can
//! act on (never INTERNAL or UNKNOWN), and every service is still serving
//! afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;

use backorder_tests::malformed::Builder;
use backorder_tests::{SERVICES, Suite, raw};
use tokio::task::JoinSet;
use tonic::Code;

const REQUESTS: u64 = 100_000;
const WORKERS: u64 = 16;

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_no_internal_or_unknown_and_crash_nothing() {
    let suite = Arc::new(Suite::start().await);
    let methods: Arc<Vec<(&'static str, raw::Method)>> = Arc::new(
        raw::methods()
            .into_iter()
            .flat_map(|method| {
                let served_by: Vec<&'static str> = match method.service() {
                    Some(service) => SERVICES.into_iter().filter(|s| *s == service).collect(),
                    None => SERVICES.to_vec(),
                };
                served_by.into_iter().map(move |s| (s, method.clone()))
            })
            .collect(),
    );
    assert!(methods.len() > 60, "{} methods", methods.len());
    let mut workers = JoinSet::new();
    for worker in 0..WORKERS {
        let suite = suite.clone();
        let methods = methods.clone();
        workers.spawn(async move {
            let set = raw::descriptors();
            let seed = 0xBAD_5EED + worker;
            let mut builder = Builder::new(&set, seed);
            let mut codes: BTreeMap<String, u64> = BTreeMap::new();
            let mut channels = BTreeMap::new();
            for i in 0..REQUESTS / WORKERS {
                let index = builder.rng().below(methods.len() as u64) as usize;
                let (service, method) = &methods[index];
                let body = builder.request(&method.input);
                let channel = match channels.get(service) {
                    Some(channel) => Clone::clone(channel),
                    None => {
                        let channel = suite.raw_channel(service).await;
                        channels.insert(*service, channel.clone());
                        channel
                    }
                };
                let code = match raw::call(channel, &method.path, tonic::Request::new(body.clone()))
                    .await
                {
                    Ok(_) => Code::Ok,
                    Err(status) => {
                        assert!(
                            !matches!(status.code(), Code::Internal | Code::Unknown),
                            "{} answered {:?} ({}) to request {i} of seed {seed:#x}: {} bytes, starting {:02x?}",
                            method.path,
                            status.code(),
                            status.message(),
                            body.len(),
                            &body[..body.len().min(48)]
                        );
                        status.code()
                    }
                };
                *codes.entry(format!("{code:?}")).or_default() += 1;
            }
            codes
        });
    }
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    while let Some(done) = workers.join_next().await {
        for (code, n) in done.expect("a worker panicked") {
            *codes.entry(code).or_default() += n;
        }
    }
    let total: u64 = codes.values().sum();
    assert_eq!(total, REQUESTS, "{codes:?}");
    assert!(
        codes.get("InvalidArgument").copied().unwrap_or(0) > REQUESTS / 4,
        "most are refused as invalid: {codes:?}"
    );
    for service in SERVICES {
        suite.wait_serving(service).await;
    }
}
