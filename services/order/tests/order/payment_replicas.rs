//! Several replicas' payment workers on one PostgreSQL database, each with
//! its own connection pool, sending the same due requests at once: every
//! request must be POSTed to the payment endpoint exactly once and answered
//! exactly once (the guarded claim in `claim_request` is what decides who
//! sends). Real parallel callers; PostgreSQL only (SQLite serialises every
//! writer, so the race cannot happen there).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backorder_platform::grpc::peer_channel;
use backorder_platform::service::ServiceContext;
use backorder_platform::testing::{TestDatabase, postgres_server};
use backorder_proto::Peer;
use order::domain::charging::{PaymentAction, PaymentState, RequestState};
use order::handlers::OrderApi;
use order::payments::PaymentEndpoint;
use order::store::{order_event, order_line, payment_request};
use order::workers::payments::send_due;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;

use crate::fake_peers::{FakePeers, reserve_all};
use crate::helpers::{bounded, place_request, rid};

/// Replicas running the payment worker side by side.
const REPLICAS: usize = 3;
/// Orders placed, each with [`SKUS`] lines: one authorisation and then one
/// capture per line (`charge_at = SALE`, every unit in stock).
const ORDERS: usize = 20;
const SKUS: [&str; 2] = ["PAY-A", "PAY-B"];
const UNIT_PRICE_MINOR: i64 = 250;
/// Rounds at most; the queue drains in a handful.
const MAX_ROUNDS: usize = 40;
/// Longest the rounds may take, all of them (no speed is asserted).
const ROUNDS_WITHIN: Duration = Duration::from_secs(180);
const SECRET: &str = "payment-replicas-test-secret-0123456789abcdef";

/// POSTs the endpoint received, by `Idempotency-Key`.
type Posts = Arc<Mutex<BTreeMap<String, usize>>>;

/// A payment endpoint on port 0 approving everything with reference `r`,
/// counting the POSTs per `Idempotency-Key`; its URL.
async fn payment_endpoint(posts: Posts) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, posts.clone()));
        }
    });
    format!("http://{address}/pay")
}

/// Reads one HTTP/1.1 request, counts it, answers and closes.
async fn answer(mut stream: TcpStream, posts: Posts) {
    let mut read = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(at) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => read.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    };
    let head = String::from_utf8_lossy(read.get(..head_end).unwrap_or_default()).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while read.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => read.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
    let key = header("idempotency-key").unwrap_or_default();
    *posts.lock().expect("posts").entry(key).or_default() += 1;
    let body = r#"{"outcome":"approved","reference":"r"}"#;
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// One replica: the order API on a connection pool of its own.
async fn replica(
    database: &TestDatabase,
    fake: &FakePeers,
    fulfilment: order::FulfilmentSettings,
) -> (OrderApi, DatabaseConnection) {
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    let channel = peer_channel(&fake.address).expect("channel");
    let channels = BTreeMap::from([
        (Peer::Inventory, channel.clone()),
        (Peer::Procurement, channel.clone()),
        (Peer::Notification, channel),
    ]);
    let context = ServiceContext::standalone(db.clone(), channels);
    let api = OrderApi::new(context, Duration::from_secs(30), fulfilment).expect("api");
    (api, db)
}

/// Requests not answered yet (due, or claimed by a call under way).
async fn unanswered(db: &DatabaseConnection) -> u64 {
    payment_request::Entity::find()
        .filter(payment_request::Column::NextAttemptAt.is_not_null())
        .count(db)
        .await
        .expect("unanswered requests")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_post_each_payment_request_exactly_once() {
    if postgres_server().is_none() {
        eprintln!(
            "skipped: replicas_post_each_payment_request_exactly_once needs PostgreSQL \
             (set BACKORDER_TEST_DATABASE_URL)"
        );
        return;
    }
    let database = TestDatabase::fresh("payment_replicas")
        .await
        .expect("test database");
    let posts: Posts = Arc::default();
    let url = payment_endpoint(posts.clone()).await;
    let config = order::Config::load_with(
        &[
            ("payments.charge_at", "SALE"),
            ("payments.endpoint", url.as_str()),
            ("payments.secret", SECRET),
            // A lease (twice the timeout) far longer than the test: a
            // second send can only come from a second claim, never from a
            // lapsed one.
            ("payments.timeout_ms", "30000"),
            ("payments.initial_backoff_ms", "50"),
            ("payments.max_backoff_ms", "200"),
            ("payments.poll_interval_ms", "50"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .expect("config");
    let endpoint: PaymentEndpoint = config.payments.endpoint.clone().expect("endpoint");

    let fake = FakePeers::start().await;
    fake.script(|req, _| async move {
        let mut reply = reserve_all(&req);
        for line in &mut reply.lines {
            line.unit_price_minor = UNIT_PRICE_MINOR;
        }
        Ok(reply)
    });
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(replica(&database, &fake, config.fulfilment).await);
    }
    let (placer, db) = replicas.first().cloned().expect("a replica");
    backorder_platform::db::migrate::<order::store::Migrator>(&db)
        .await
        .expect("migrations");

    // Many due authorisations, through the public path.
    let lines: Vec<(&str, i64)> = SKUS.iter().map(|sku| (*sku, 2)).collect();
    for _ in 0..ORDERS {
        placer
            .place_order(place_request(&rid(), &lines))
            .await
            .expect("placed");
    }
    let expected_requests = ORDERS * SKUS.len() * 2;
    assert_eq!(
        unanswered(&db).await,
        u64::try_from(ORDERS * SKUS.len()).expect("count"),
        "one authorisation due per line"
    );

    // Every replica sends what is due at the same moment, round after
    // round, until nothing is left (each approved authorisation queues the
    // capture).
    let (answered, failures) = bounded("the replicas' payment rounds", ROUNDS_WITHIN, async {
        let mut answered = 0_usize;
        let mut failures = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let start = Arc::new(Barrier::new(REPLICAS));
            let rounds: Vec<_> = replicas
                .iter()
                .map(|(api, _)| {
                    let (api, endpoint, start) = (api.clone(), endpoint.clone(), start.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        send_due(&api, &endpoint).await
                    })
                })
                .collect();
            for round in rounds {
                match round.await.expect("a replica's round panicked") {
                    Ok(n) => answered += n,
                    Err(error) => failures.push(error.to_string()),
                }
            }
            if unanswered(&db).await == 0 {
                break;
            }
        }
        (answered, failures)
    })
    .await;

    // Each request POSTed exactly once.
    let posts = posts.lock().expect("posts").clone();
    let repeated: Vec<(&String, &usize)> = posts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        repeated.is_empty(),
        "{} of {} payment requests were POSTed more than once; the first (Idempotency-Key, \
         POSTs): {:?}",
        repeated.len(),
        posts.len(),
        repeated.get(..5).unwrap_or(&repeated)
    );
    assert!(failures.is_empty(), "rounds failed: {failures:?}");

    // Each request answered exactly once, and all of them.
    let requests = payment_request::Entity::find()
        .all(&db)
        .await
        .expect("requests");
    assert_eq!(
        requests.len(),
        expected_requests,
        "authorise and capture per line"
    );
    assert_eq!(
        answered, expected_requests,
        "answers the replicas recorded, together"
    );
    let ids: BTreeSet<&String> = requests.iter().map(|r| &r.id).collect();
    let posted: BTreeSet<&String> = posts.keys().collect();
    assert_eq!(posted, ids, "every request, and nothing else, was POSTed");
    for request in &requests {
        assert_eq!(request.next_attempt_at, None, "answered: {request:?}");
        assert_eq!(
            request.state,
            RequestState::Approved.code(),
            "approved: {request:?}"
        );
        assert_eq!(request.attempts, 1, "claimed once: {request:?}");
        assert_eq!(request.reference.as_deref(), Some("r"), "{request:?}");
    }

    // The lines agree: authorised once, captured once, nothing more.
    let order_lines = order_line::Entity::find().all(&db).await.expect("lines");
    assert_eq!(order_lines.len(), ORDERS * SKUS.len());
    let events = order_event::Entity::find().all(&db).await.expect("events");
    for line in &order_lines {
        assert_eq!(
            line.payment_state,
            Some(PaymentState::Captured.code()),
            "line {} is captured",
            line.id
        );
        assert_eq!(line.payment_reference.as_deref(), Some("r"));
        assert_eq!(
            line.payment_amount_minor,
            Some(line.quantity * UNIT_PRICE_MINOR)
        );
        let mut actions: Vec<i32> = requests
            .iter()
            .filter(|r| r.line_id == line.id)
            .map(|r| r.action)
            .collect();
        actions.sort_unstable();
        assert_eq!(
            actions,
            [
                PaymentAction::Authorize.code(),
                PaymentAction::Capture.code()
            ],
            "line {}: one authorisation, one capture",
            line.id
        );
        let mut payment_events: Vec<&str> = events
            .iter()
            .filter(|e| e.line_id == line.id && e.event.starts_with("payment_"))
            .map(|e| e.event.as_str())
            .collect();
        payment_events.sort_unstable();
        assert_eq!(
            payment_events,
            [
                "payment_authorize_approved",
                "payment_authorize_requested",
                "payment_capture_approved",
                "payment_capture_requested",
            ],
            "line {}'s timeline: each payment event once",
            line.id
        );
    }
    drop(replicas);
    drop(db);
}
