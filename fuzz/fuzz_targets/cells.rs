//! The cell parsers of the import (coordinates in every accepted notation, numbers, values
//! with qualifiers, dates, depth ranges) on arbitrary text: never a panic; a coordinate, when
//! accepted, is finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use soilwatch_ingest::values;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(c) = values::parse_coordinate(&s) {
        assert!(c.is_finite(), "{s:?} → {c}");
    }
    let _ = values::parse_decimal(&s);
    let _ = values::parse_value_cell(&s);
    let _ = values::parse_date(&s);
    let _ = values::parse_depth_range(&s);
});
