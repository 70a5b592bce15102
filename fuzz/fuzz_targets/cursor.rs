//! A page's `cursor` as a client may send it back, altered: never a panic, a 422 at worst;
//! and a cursor the server made reads back as the key it was made from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peiyu::http::support::pagination::{PageParams, encode};

fuzz_target!(|input: (&str, i64, [u8; 16])| {
    let (cursor, when, id) = input;
    let sent = PageParams { limit: Some(50), cursor: Some(cursor.to_owned()) };
    let _ = sent.parse::<(String, uuid::Uuid)>();
    let _ = sent.parse::<(Option<chrono::NaiveDate>, uuid::Uuid)>();
    let _ = sent.parse::<uuid::Uuid>();

    let key = (when, uuid::Uuid::from_bytes(id));
    let made = PageParams { limit: None, cursor: Some(encode(&key)) };
    assert_eq!(made.parse::<(i64, uuid::Uuid)>().expect("its own cursor").after, Some(key));
});
