//! The procurement service binary.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = procurement::Config::load()?;
    procurement::run(config).await
}
