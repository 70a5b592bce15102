//! An uploaded roster or certification list, as bytes anyone may send named .csv or .xlsx:
//! never a panic, and within the upload limits (a zip bomb or a billion-cell sheet is
//! refused, not read).
#![no_main]

use libfuzzer_sys::fuzz_target;
use peiyu::service::file_import::read_upload;

fuzz_target!(|bytes: &[u8]| {
    let _ = read_upload("名单.csv", bytes);
    let _ = read_upload("名单.xlsx", bytes);
});
