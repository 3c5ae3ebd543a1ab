//! The order service binary.

#[tokio::main]
async fn main() -> Result<(), backorder_platform::service::Fatal> {
    let config = order::Config::load()?;
    Ok(order::run(config).await?)
}
