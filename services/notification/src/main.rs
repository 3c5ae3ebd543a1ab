//! The notification service binary.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = notification::Config::load()?;
    notification::run(config).await
}
