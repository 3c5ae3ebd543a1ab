//! The inventory service binary.

#[tokio::main]
async fn main() -> Result<(), backorder_platform::service::Fatal> {
    let config = inventory::Config::load()?;
    Ok(inventory::run(config).await?)
}
