//! Configuration: the sweeper's timings come from settings, with defaults
//! that keep today's behaviour, and settings under which it cannot work
//! are refused; the same for the merchant's fulfilment defaults.

fn overrides(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_sweeper_has_defaults_and_reads_its_settings() {
    let config = order::Config::load_with(&[]).expect("defaults load");
    if std::env::var_os("BACKORDER__SWEEPER__INTERVAL_MS").is_none() {
        assert_eq!(config.sweeper.interval_ms, 10_000);
        assert_eq!(config.sweeper.first_attempt_after_ms, 30_000);
        assert_eq!(config.sweeper.batch_size, 50);
    }
    let config = order::Config::load_with(&overrides(&[
        ("sweeper.interval_ms", "25"),
        ("sweeper.batch_size", "3"),
        ("peers.inventory", "http://10.0.0.7:50051"),
    ]))
    .expect("overrides load");
    assert_eq!(config.sweeper.interval_ms, 25);
    assert_eq!(config.sweeper.batch_size, 3);
    assert_eq!(config.peers.inventory, "http://10.0.0.7:50051");
    assert_eq!(
        config.sweeper.schedule().interval,
        std::time::Duration::from_millis(25)
    );
}

#[test]
fn a_sweeper_that_could_never_work_is_refused() {
    for (key, value) in [("sweeper.interval_ms", "0"), ("sweeper.batch_size", "0")] {
        let error = order::Config::load_with(&overrides(&[(key, value)]))
            .expect_err("refused")
            .to_string();
        assert!(error.contains(key), "{error}");
    }
}

#[test]
fn the_merchants_default_ship_policy_is_read_and_checked() {
    use order::domain::ShipPolicy;
    let config = order::Config::load_with(&overrides(&[
        ("fulfilment.default_ship_policy", "up_to_n_shipments"),
        ("fulfilment.default_max_shipments", "3"),
    ]))
    .expect("loads");
    assert_eq!(
        config.fulfilment.default_ship_policy,
        ShipPolicy::UpToShipments(3)
    );
    for (policy, count) in [("SOMETIMES", "2"), ("UP_TO_N_SHIPMENTS", "0")] {
        let error = order::Config::load_with(&overrides(&[
            ("fulfilment.default_ship_policy", policy),
            ("fulfilment.default_max_shipments", count),
        ]))
        .expect_err("refused")
        .to_string();
        assert!(error.contains("fulfilment.default_"), "{error}");
    }
}
