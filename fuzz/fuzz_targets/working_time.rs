//! Deadlines in working days and hours (the service desk's limits) from any moment, and
//! limits as a configuration may write them: never a panic, and a deadline never before
//! the moment it counts from.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use peiyu::domain::calendar::Limit;
use std::sync::LazyLock;

static CATALOG: LazyLock<peiyu::config::Catalog> =
    LazyLock::new(|| peiyu::config::Settings::load().and_then(|s| s.catalog()).expect("the built-in catalog"));

fuzz_target!(|input: (i64, u16, u16, &str)| {
    let (seconds, days, hours, written) = input;
    // From 1970 to 2200, where calendars and deadlines live.
    let Some(at) = DateTime::from_timestamp(seconds.rem_euclid(7_258_118_400), 0) else { return };
    let calendar = &CATALOG.calendar;
    assert!(calendar.working_days_after(at, u32::from(days % 400)) > at);
    assert!(calendar.working_hours_after(at, u32::from(hours % 9000)) >= at);
    if let Ok(limit) = Limit::parse(written) {
        assert!(calendar.after(at, limit) >= at);
    }
});
