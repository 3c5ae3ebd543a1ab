//! What operators and Kubernetes rely on: reflection for grpcurl (both
//! protocol versions), and health that means something.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use backorder_platform::server::Shutdown;
use backorder_tests::{SERVICES, Signal, Suite, SuiteOptions, binary_path, eventually, rid};
use prost::Message;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

async fn health(channel: Channel, service: &str) -> Option<i32> {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .ok()
        .map(|r| r.into_inner().status)
}

mod v1 {
    pub use tonic_reflection::pb::v1::ServerReflectionRequest;
    pub use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    pub use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    pub use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
}

mod v1alpha {
    pub use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    pub use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    pub use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    pub use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
}

async fn reflect_v1(channel: Channel, request: v1::MessageRequest) -> v1::MessageResponse {
    let mut client = v1::ServerReflectionClient::new(channel);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection v1")
        .into_inner();
    stream
        .next()
        .await
        .expect("a response")
        .expect("no error")
        .message_response
        .expect("a message")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_serves_reflection_v1_and_v1alpha_with_comments_and_error_types() {
    let suite = Suite::start().await;
    for service in SERVICES {
        let channel = suite.raw_channel(service).await;
        let v1::MessageResponse::ListServicesResponse(list) = reflect_v1(
            channel.clone(),
            v1::MessageRequest::ListServices(String::new()),
        )
        .await
        else {
            panic!("expected a service list");
        };
        let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        let own = format!("backorder.{service}.v1.{}Service", capitalize(service));
        for expected in [
            own.as_str(),
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{service} lists {expected}: {names:?}"
            );
        }

        let others: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with("backorder.") && **n != own)
            .collect();
        assert!(
            others.is_empty(),
            "{service} advertises only what it serves: {others:?}"
        );

        // Old grpcurl releases speak only v1alpha.
        let mut alpha = v1alpha::ServerReflectionClient::new(channel.clone());
        let request = v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1alpha::MessageRequest::ListServices(String::new())),
        };
        let response = alpha
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .expect("reflection v1alpha")
            .into_inner()
            .next()
            .await
            .expect("a response")
            .expect("no error");
        let Some(v1alpha::MessageResponse::ListServicesResponse(list)) = response.message_response
        else {
            panic!("expected a v1alpha service list");
        };
        assert!(list.service.iter().any(|s| s.name == own));

        // `describe` shows the proto comments, and the error details resolve.
        let v1::MessageResponse::FileDescriptorResponse(files) = reflect_v1(
            channel.clone(),
            v1::MessageRequest::FileContainingSymbol(own.clone()),
        )
        .await
        else {
            panic!("expected file descriptors");
        };
        let file =
            prost_types::FileDescriptorProto::decode(files.file_descriptor_proto[0].as_slice())
                .expect("descriptor");
        let comments: Vec<String> = file
            .source_code_info
            .expect("source info kept")
            .location
            .into_iter()
            .filter_map(|l| l.leading_comments)
            .collect();
        assert!(
            comments.iter().any(|c| c.contains("Errors:")),
            "{service} RPC comments are served"
        );
        let v1::MessageResponse::FileDescriptorResponse(files) = reflect_v1(
            channel,
            v1::MessageRequest::FileContainingSymbol("google.rpc.ErrorInfo".into()),
        )
        .await
        else {
            panic!("google.rpc.ErrorInfo resolves");
        };
        assert!(!files.file_descriptor_proto.is_empty());
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_not_serving_until_the_database_is_reachable_but_liveness_is() {
    // A port nothing listens on once released: the database is unreachable.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let config = inventory::Config::load_with(&[
        ("server.host".into(), "127.0.0.1".into()),
        ("server.port".into(), "0".into()),
        (
            "database.url".into(),
            format!("postgres://postgres@127.0.0.1:{dead_port}/nowhere"),
        ),
    ])
    .expect("config");
    let (stop, shutdown) = Shutdown::channel();
    let service = inventory::build(config, shutdown)
        .await
        .expect("the server starts without its database");
    let port = service.port();
    let running = tokio::spawn(service.run_until_stopped());
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("url")
        .timeout(backorder_tests::CALL_DEADLINE)
        .connect_lazy();

    let liveness = eventually("liveness answers", Duration::from_secs(30), || {
        let channel = channel.clone();
        async move { health(channel, "liveness").await }
    })
    .await;

    assert_eq!(liveness, ServingStatus::Serving as i32);
    assert_eq!(
        health(channel.clone(), "").await,
        Some(ServingStatus::NotServing as i32)
    );
    assert_eq!(
        health(channel.clone(), "backorder.inventory.v1.InventoryService").await,
        Some(ServingStatus::NotServing as i32)
    );
    stop.stop();
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("stops while still waiting for its database")
        .expect("no panic")
        .expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draining_service_reports_not_serving_yet_still_answers_calls() {
    // A drain far longer than the test needs: every step below waits for an
    // event, never for the drain to be still going by luck.
    let mut suite = Suite::start_with(SuiteOptions {
        settings: vec![("server.drain_seconds".into(), "120".into())],
        ..SuiteOptions::processes(Vec::new())
    })
    .await;
    let channel = suite.raw_channel("inventory").await;
    assert_eq!(
        health(channel.clone(), "").await,
        Some(ServingStatus::Serving as i32)
    );

    suite.signal("inventory", Signal::Term);

    eventually(
        "NOT_SERVING while draining",
        Duration::from_secs(30),
        || {
            let channel = channel.clone();
            async move {
                (health(channel, "").await == Some(ServingStatus::NotServing as i32)).then_some(())
            }
        },
    )
    .await;
    assert_eq!(
        health(channel.clone(), "liveness").await,
        Some(ServingStatus::Serving as i32)
    );
    let listed = suite
        .inventory()
        .await
        .list_products(backorder_proto::inventory::v1::ListProductsRequest::default())
        .await;
    assert!(listed.is_ok(), "calls are still answered: {listed:?}");
    assert!(suite.is_running("inventory"), "draining, not stopped");
    // Without TLS files a service runs in plaintext, trusting every caller,
    // and says so when it starts.
    assert!(
        suite.log("order").contains("PLAINTEXT"),
        "{}",
        suite.log("order")
    );
    for service in SERVICES {
        suite.signal(service, Signal::Kill);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_port_stops_the_service_with_a_message_naming_port_and_setting() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let port = holder.local_addr().expect("held address").port();
    let dir = std::env::temp_dir().join(format!("backorder-port-clash-{port}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let output = Command::new(binary_path("inventory"))
        .env("BACKORDER__SERVER__HOST", "127.0.0.1")
        .env("BACKORDER__SERVER__PORT", port.to_string())
        .env(
            "BACKORDER__DATABASE__URL",
            format!("sqlite://{}/inventory.db?mode=rwc", dir.display()),
        )
        .env("BACKORDER_CONFIG_FILE", "/nonexistent.toml")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .expect("run inventory");
    drop(holder);
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        !output.status.success(),
        "must exit with an error: {stderr}"
    );
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "names the address: {stderr}"
    );
    assert!(
        stderr.contains("BACKORDER__SERVER__PORT"),
        "names the setting that moves it: {stderr}"
    );
    assert!(
        !stderr.contains("Custom {"),
        "a sentence, not a Debug dump: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_run_script_stops_every_service_when_one_cannot_start() {
    // Take the order service's default port, unless a suite already holds it
    // (then every service clashes, which makes the same point).
    let holder = std::net::TcpListener::bind("0.0.0.0:50052").ok();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf();
    let bin_dir = binary_path("order")
        .parent()
        .expect("binary directory")
        .to_path_buf();
    let data = std::env::temp_dir().join(format!("backorder-run-script-{}", rid()));
    let mut child = Command::new("bash")
        .arg(repo.join("scripts/run-suite.sh"))
        // Its own process group, so a failing test can stop the services too.
        .process_group(0)
        .env("BACKORDER_BIN_DIR", &bin_dir)
        .env("BACKORDER_DATA_DIR", &data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the run script");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("script status") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-TERM", "--"])
                .arg(format!("-{}", child.id()))
                .status();
            panic!("the script kept running with one service down");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().expect("script output");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let _ = std::fs::remove_dir_all(&data);

    assert!(!status.success(), "a failed start is a failed run: {text}");
    assert!(
        text.contains("cannot listen on 0.0.0.0:5005"),
        "the clash is named: {text}"
    );
    assert!(text.contains("stopping the others"), "{text}");
    if holder.is_some() {
        for port in [50051, 50053, 50054] {
            assert!(
                std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
                "nothing is left listening on {port}: {text}"
            );
        }
    }
}
