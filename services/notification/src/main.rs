//! The notification service binary.

#[tokio::main]
async fn main() -> Result<(), backorder_platform::service::Fatal> {
    let config = notification::Config::load()?;
    Ok(notification::run(config).await?)
}
