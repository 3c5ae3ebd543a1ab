//! A service started inside the test process, on the test's runtime, with
//! its own shutdown: stopped and started again on the same port and
//! database like a process, without a binary.

use std::sync::Once;
use std::time::Duration;

use backorder_platform::config::Prebound;
use backorder_platform::server::{BoxError, Shutdown, ShutdownTrigger};
use backorder_platform::service::RunningService;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// How long a stopping service may take: its workers must end on shutdown.
const STOP_DEADLINE: Duration = Duration::from_secs(30);

/// How long a restart may wait for its port, which the stopped service
/// released a moment ago.
const REBIND_DEADLINE: Duration = Duration::from_secs(10);

static TEST_LOG: Once = Once::new();

/// In-process services log through the test process's subscriber: none
/// (quiet) unless `TEST_LOG` names a filter, e.g. `TEST_LOG=info`.
pub(crate) fn init_test_log() {
    TEST_LOG.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

struct Running {
    trigger: ShutdownTrigger,
    task: JoinHandle<Result<(), BoxError>>,
}

pub(crate) struct InProcessService {
    pub(crate) name: &'static str,
    pub(crate) port: u16,
    settings: Vec<(String, String)>,
    running: Option<Running>,
}

impl InProcessService {
    /// Builds the service on `listener` (bound by the caller, so its peers
    /// knew the port before it started) and runs it.
    pub(crate) async fn start(
        name: &'static str,
        listener: std::net::TcpListener,
        settings: Vec<(String, String)>,
    ) -> Self {
        let port = listener.local_addr().expect("bound address").port();
        let mut service = Self {
            name,
            port,
            settings,
            running: None,
        };
        let (trigger, shutdown) = Shutdown::channel();
        let running = build(name, &service.settings, Some(listener), shutdown)
            .await
            .unwrap_or_else(|e| panic!("starting {name}: {}", chain(e.as_ref())));
        assert_eq!(
            running.port(),
            port,
            "{name} listens where its peers expect"
        );
        service.run(trigger, running);
        service
    }

    fn run(&mut self, trigger: ShutdownTrigger, running: RunningService) {
        // Four services log into one output: the span names the one speaking
        // (its server, not every task it spawns).
        let span = tracing::info_span!("service", name = self.name);
        let task = tokio::spawn(running.run_until_stopped().instrument(span));
        self.running = Some(Running { trigger, task });
    }

    /// Why the service stopped on its own, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        let running = self.running.as_ref()?;
        running
            .task
            .is_finished()
            .then(|| format!("{} stopped by itself", self.name))
    }

    pub(crate) fn is_running(&self) -> bool {
        self.running.as_ref().is_some_and(|r| !r.task.is_finished())
    }

    /// Fires the shutdown without waiting (dropping a suite).
    pub(crate) fn trigger_stop(&self) {
        if let Some(running) = &self.running {
            running.trigger.stop();
        }
    }

    /// Stops the service and waits until it has: server drained, relay and
    /// workers ended.
    pub(crate) async fn stop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.trigger.stop();
        match tokio::time::timeout(STOP_DEADLINE, running.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => panic!(
                "{} stopped with an error: {}",
                self.name,
                chain(error.as_ref())
            ),
            Ok(Err(join)) => panic!("{} panicked: {join}", self.name),
            Err(_) => panic!(
                "{} did not stop within {STOP_DEADLINE:?} of its shutdown: a worker or \
                 the relay ignores it",
                self.name
            ),
        }
    }

    /// Starts the stopped service again on its port and database.
    pub(crate) async fn restart(&mut self) {
        assert!(self.running.is_none(), "{} is running", self.name);
        let deadline = tokio::time::Instant::now() + REBIND_DEADLINE;
        loop {
            let (trigger, shutdown) = Shutdown::channel();
            match build(self.name, &self.settings, None, shutdown).await {
                Ok(running) => {
                    self.run(trigger, running);
                    return;
                }
                Err(error) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(service = self.name, error = %chain(error.as_ref()), "rebinding");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("restarting {}: {}", self.name, chain(error.as_ref())),
            }
        }
    }
}

/// Loads the service's configuration from `settings` (above the
/// environment) and builds it, on `listener` when one is given, else on
/// the `server.port` of the settings.
async fn build(
    name: &str,
    settings: &[(String, String)],
    listener: Option<std::net::TcpListener>,
    shutdown: Shutdown,
) -> Result<RunningService, BoxError> {
    macro_rules! build {
        ($service:ident) => {{
            let mut config = $service::Config::load_with(settings)?;
            if let Some(listener) = listener {
                config.common.server.prebound = Prebound::new(listener);
            }
            $service::build(config, shutdown).await
        }};
    }
    match name {
        "inventory" => build!(inventory),
        "order" => build!(order),
        "procurement" => build!(procurement),
        "notification" => build!(notification),
        other => Err(format!("no service named {other}").into()),
    }
}

/// An error with its causes, as one line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
