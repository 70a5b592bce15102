//! A console form's body as anyone may post it: never a panic; what decodes carries no NUL
//! (PostgreSQL could not store it) and keeps its tokens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peiyu::web::form::decode;
use std::collections::HashMap;

fuzz_target!(|body: &[u8]| {
    let body = actix_web::web::Bytes::copy_from_slice(body);
    if let Ok(form) = decode::<HashMap<String, String>>(body.clone()) {
        assert!(!form.csrf.contains('\0') && !form.once.contains('\0'));
        assert!(form.fields.values().all(|value| !value.contains('\0')));
    }
    let _ = decode::<HashMap<String, Vec<String>>>(body);
});
