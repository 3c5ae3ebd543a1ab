//! Overload and slow peers: a saturated server sheds calls with retry
//! advice while health still answers; a call past the server's time limit
//! is given up (a caller's shorter deadline: see the unit tests of
//! `overload`, since a tonic client gives up first itself); peers' calls have deadlines, a balanced channel with no
//! address fails by its deadline, and only idempotent calls are retried,
//! within the retry budget. On PostgreSQL, a statement stuck behind a row
//! lock is cancelled by lock_timeout with a retryable code.
//!
//! Every wait is bounded by a generous deadline; nothing asserts speed.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use backorder_platform::config::{ClientSettings, Prebound, ServerSettings};
use backorder_platform::grpc::{PeerChannel, peer_channel_with};
use backorder_platform::outbox::OutboxSignal;
use backorder_platform::server::{self, Shutdown};
use backorder_platform::testing::TestDatabase;
use backorder_platform::tls::Transport;
use backorder_platform::unit_of_work::UnitOfWork;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

/// Generous bound on anything a test waits for.
const PATIENCE: Duration = Duration::from_secs(60);

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How the test service answers its one method, `Call(Empty)`.
#[derive(Clone)]
enum Behaviour {
    /// Sleeps this long, then answers OK.
    Sleep(Duration),
    /// Answers UNAVAILABLE to the first `n` calls, then OK.
    FailFirst(usize),
}

/// A gRPC service `backorder.test.v1.TestService` with one unary method
/// that counts its calls.
#[derive(Clone)]
struct TestService {
    behaviour: Behaviour,
    calls: Arc<AtomicUsize>,
}

const PATH: &str = "/backorder.test.v1.TestService/Call";

impl NamedService for TestService {
    const NAME: &'static str = "backorder.test.v1.TestService";
}

struct Handler(TestService);

impl tonic::server::UnaryService<()> for Handler {
    type Response = ();
    type Future = BoxFuture<Result<tonic::Response<()>, Status>>;

    fn call(&mut self, _request: tonic::Request<()>) -> Self::Future {
        let seen = self.0.calls.fetch_add(1, Ordering::SeqCst);
        let behaviour = self.0.behaviour.clone();
        Box::pin(async move {
            match behaviour {
                Behaviour::Sleep(delay) => tokio::time::sleep(delay).await,
                Behaviour::FailFirst(n) if seen < n => {
                    return Err(Status::unavailable("failing on purpose"));
                }
                Behaviour::FailFirst(_) => {}
            }
            Ok(tonic::Response::new(()))
        })
    }
}

impl tower::Service<http::Request<Body>> for TestService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let handler = Handler(self.clone());
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<(), ()>::default());
            Ok(grpc.unary(handler, request).await)
        })
    }
}

fn server_settings(max_concurrent: usize, request_timeout_ms: u64) -> ServerSettings {
    ServerSettings {
        host: "127.0.0.1".into(),
        port: 0,
        drain_seconds: 0,
        health_port: None,
        request_timeout_ms,
        max_concurrent_requests: max_concurrent,
        retry_after_ms: 300,
        max_message_bytes: 4 * 1024 * 1024,
        prebound: Prebound::default(),
    }
}

/// Serves `behaviour` through the platform's bootstrap (health,
/// reflection, limits); returns its address, its call count and the
/// trigger that stops it.
async fn start(
    behaviour: Behaviour,
    settings: ServerSettings,
) -> (String, Arc<AtomicUsize>, server::ShutdownTrigger) {
    let listener = server::bind(&settings).await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let calls = Arc::new(AtomicUsize::new(0));
    let service = TestService {
        behaviour,
        calls: calls.clone(),
    };
    let (stop, shutdown): (_, Shutdown) = Shutdown::channel();
    tokio::spawn(async move {
        let _ = server::serve(
            listener,
            Routes::new(service),
            TestService::NAME,
            &settings,
            server::Wiring::open(),
            std::future::ready(()),
            shutdown,
        )
        .await;
    });
    (address, calls, stop)
}

/// One call of the test method over `channel`.
async fn call<C>(channel: C, request: tonic::Request<()>) -> Result<(), Status>
where
    C: tonic::client::GrpcService<Body>,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    C::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <C::ResponseBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.into().to_string()))?;
    let path = http::uri::PathAndQuery::from_static(PATH);
    grpc.unary(request, path, tonic_prost::ProstCodec::<(), ()>::default())
        .await
        .map(|_| ())
}

fn request(timeout: Duration) -> tonic::Request<()> {
    let mut request = tonic::Request::new(());
    request.set_timeout(timeout);
    request
}

async fn plain_channel(address: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(address.to_owned())
        .expect("endpoint")
        .connect()
        .await
        .expect("connect")
}

async fn health(channel: tonic::transport::Channel, service: &str) -> i32 {
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: service.into(),
    });
    request.set_timeout(Duration::from_secs(10));
    HealthClient::new(channel)
        .check(request)
        .await
        .expect("health answers under load")
        .into_inner()
        .status
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saturated_server_sheds_calls_with_retry_advice_and_health_still_answers() {
    let (address, calls, stop) = start(
        Behaviour::Sleep(Duration::from_secs(2)),
        server_settings(1, 30_000),
    )
    .await;
    let channel = plain_channel(&address).await;

    let mut parallel = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let channel = channel.clone();
        parallel.spawn(async move { call(channel, request(PATIENCE)).await });
    }
    // Wait until the server holds a call, then ask for health meanwhile.
    tokio::time::timeout(PATIENCE, async {
        while calls.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("a call reached the handler");
    assert_eq!(
        health(channel.clone(), TestService::NAME).await,
        ServingStatus::Serving as i32
    );
    assert_eq!(
        health(channel.clone(), "").await,
        ServingStatus::Serving as i32
    );

    let results = tokio::time::timeout(PATIENCE, parallel.join_all())
        .await
        .expect("every call answered");
    let served = results.iter().filter(|r| r.is_ok()).count();
    let shed: Vec<&Status> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(served >= 1, "no call was served: {results:?}");
    assert!(!shed.is_empty(), "no call was shed: {results:?}");
    for status in shed {
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        let details = status.get_error_details();
        assert_eq!(
            details.retry_info().and_then(|r| r.retry_delay),
            Some(Duration::from_millis(300)),
            "{status:?}"
        );
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, "OVERLOADED");
        assert_eq!(info.domain, "test.backorder");
    }
    // Shed calls never reached the handler.
    assert_eq!(calls.load(Ordering::SeqCst), served);
    stop.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_the_servers_time_limit_is_given_up_unavailable_with_retry_advice() {
    let (address, _calls, stop) = start(
        Behaviour::Sleep(Duration::from_secs(30)),
        server_settings(0, 300),
    )
    .await;
    let channel = plain_channel(&address).await;

    let status = tokio::time::timeout(PATIENCE, call(channel.clone(), request(PATIENCE)))
        .await
        .expect("answered")
        .expect_err("given up");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let details = status.get_error_details();
    assert!(details.retry_info().is_some(), "{status:?}");
    assert_eq!(
        details.error_info().map(|i| i.reason.as_str()),
        Some("REQUEST_TIMEOUT")
    );

    // A peer's channel gives up by the caller's deadline, and says so.
    let status = tokio::time::timeout(
        PATIENCE,
        call(
            peer(&address, &client_settings(1)),
            request(Duration::from_millis(100)),
        ),
    )
    .await
    .expect("answered")
    .expect_err("given up");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    stop.stop();
}

fn client_settings(max_attempts: u32) -> ClientSettings {
    ClientSettings {
        timeout_ms: 10_000,
        max_attempts,
        initial_backoff_ms: 5,
        max_backoff_ms: 20,
        retry_budget_percent: 20,
        retry_min_per_second: 10,
    }
}

fn peer(address: &str, settings: &ClientSettings) -> PeerChannel {
    peer_channel_with(address, settings, &Transport::plaintext()).expect("channel")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotent_call_is_retried_after_unavailable_and_another_is_not() {
    let (address, calls, stop) = start(Behaviour::FailFirst(1), server_settings(0, 30_000)).await;
    let channel = peer(&address, &client_settings(3));
    tokio::time::timeout(
        PATIENCE,
        call(
            channel.clone(),
            backorder_platform::retry::idempotent((), Duration::from_secs(20)),
        ),
    )
    .await
    .expect("answered")
    .expect("the retry succeeded");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one failure, one retry");
    stop.stop();

    let (address, calls, stop) = start(Behaviour::FailFirst(1), server_settings(0, 30_000)).await;
    let channel = peer(&address, &client_settings(3));
    let status = tokio::time::timeout(
        PATIENCE,
        call(channel.clone(), request(Duration::from_secs(20))),
    )
    .await
    .expect("answered")
    .expect_err("not retried");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "attempted once");
    stop.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_stop_once_the_budget_is_spent() {
    let (address, calls, stop) =
        start(Behaviour::FailFirst(usize::MAX), server_settings(0, 30_000)).await;
    // No share of calls, one retry a second over the ten-second window:
    // ten retries in all, then calls are attempted once.
    let settings = ClientSettings {
        retry_budget_percent: 0,
        retry_min_per_second: 1,
        ..client_settings(2)
    };
    let channel = peer(&address, &settings);
    const CALLS: usize = 30;
    for _ in 0..CALLS {
        let status = tokio::time::timeout(
            PATIENCE,
            call(
                channel.clone(),
                backorder_platform::retry::idempotent((), Duration::from_secs(20)),
            ),
        )
        .await
        .expect("answered")
        .expect_err("always failing");
        assert_eq!(status.code(), Code::Unavailable);
    }
    let attempts = calls.load(Ordering::SeqCst);
    assert!(attempts > CALLS, "never retried: {attempts}");
    assert!(
        attempts < 2 * CALLS,
        "every call was retried despite the budget: {attempts}"
    );
    // The last calls, with the budget spent, were attempted once each.
    let before = calls.load(Ordering::SeqCst);
    for _ in 0..3 {
        let _ = call(
            channel.clone(),
            backorder_platform::retry::idempotent((), Duration::from_secs(20)),
        )
        .await;
    }
    assert_eq!(calls.load(Ordering::SeqCst) - before, 3);
    stop.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_balanced_channel_whose_name_does_not_resolve_fails_unavailable_by_the_deadline() {
    let channel = peer(
        "dns:///backorder-nowhere.invalid:50051",
        &client_settings(3),
    );
    // Set by the caller...
    let status = tokio::time::timeout(
        PATIENCE,
        call(
            channel.clone(),
            backorder_platform::retry::idempotent((), Duration::from_millis(500)),
        ),
    )
    .await
    .expect("failed by the deadline instead of hanging")
    .expect_err("nothing to call");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("no address"), "{status:?}");

    // ...or the channel's default when the caller set none.
    let settings = ClientSettings {
        timeout_ms: 500,
        ..client_settings(1)
    };
    let channel = peer("dns:///backorder-nowhere.invalid:50051", &settings);
    let status = tokio::time::timeout(PATIENCE, call(channel, tonic::Request::new(())))
        .await
        .expect("failed by the default deadline instead of hanging")
        .expect_err("nothing to call");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_blocked_on_a_row_lock_fails_by_lock_timeout_retryable_and_writes_nothing() {
    if backorder_platform::testing::postgres_server().is_none() {
        eprintln!("skipped: needs BACKORDER_TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let mut database = TestDatabase::fresh("lock_timeout").await.expect("database");
    database.settings.lock_timeout_ms = 300;
    database.settings.statement_timeout_ms = 1_000;
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    db.execute_unprepared(
        "CREATE TABLE held (id INT PRIMARY KEY, n INT NOT NULL); \
         INSERT INTO held VALUES (1, 0); \
         CREATE TABLE written (id INT PRIMARY KEY)",
    )
    .await
    .expect("tables");

    // The test holds the row, on a connection of its own.
    let holder = Database::connect(database.settings.url.as_str())
        .await
        .expect("holder connects");
    let held = holder.begin().await.expect("begin");
    held.execute_unprepared("SELECT n FROM held WHERE id = 1 FOR UPDATE")
        .await
        .expect("lock the row");

    let units = UnitOfWork::new(db.clone(), OutboxSignal::new());
    let result = tokio::time::timeout(
        PATIENCE,
        units.internal(|work| {
            Box::pin(async move {
                work.db()
                    .execute_unprepared("INSERT INTO written VALUES (1)")
                    .await?;
                work.db()
                    .execute_unprepared("UPDATE held SET n = n + 1 WHERE id = 1")
                    .await?;
                Ok(())
            })
        }),
    )
    .await
    .expect("lock_timeout ended the wait");
    let error = result.expect_err("the row stayed locked");
    let status = error.into_status("inventory");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    let details = status.get_error_details();
    assert!(details.retry_info().is_some(), "{status:?}");
    assert_eq!(
        details.error_info().map(|i| i.reason.as_str()),
        Some("LOCK_TIMEOUT")
    );

    held.rollback().await.expect("release");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM written",
        ))
        .await
        .expect("count")
        .expect("a row");
    let written: i64 = row.try_get("", "n").expect("n");
    assert_eq!(written, 0, "the failed unit wrote nothing");

    // statement_timeout likewise: UNAVAILABLE with retry advice.
    let error = db
        .execute_unprepared("SELECT pg_sleep(5)")
        .await
        .expect_err("cancelled");
    let status = backorder_platform::ServiceError::from(error).into_status("inventory");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.get_error_details().retry_info().is_some());
}
