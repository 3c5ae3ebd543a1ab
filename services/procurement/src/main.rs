//! The procurement service binary.

#[tokio::main]
async fn main() -> Result<(), backorder_platform::service::Fatal> {
    let config = procurement::Config::load()?;
    Ok(procurement::run(config).await?)
}
