//! The inventory service binary.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = inventory::Config::load()?;
    inventory::run(config).await
}
