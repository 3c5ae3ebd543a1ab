//! The order service binary.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = order::Config::load()?;
    order::run(config).await
}
