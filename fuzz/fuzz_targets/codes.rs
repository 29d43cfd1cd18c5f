//! The code parsers (GB/T 2260 division codes, unified social credit codes, land use, units,
//! media, amounts) on arbitrary text: never a panic, and what is accepted prints back to a
//! value that parses to the same thing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use soilwatch_core::{Amount, DivisionCode, LandUse, Medium, Unit, Uscc};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(d) = s.parse::<DivisionCode>() {
        assert_eq!(d.to_string().parse::<DivisionCode>().ok(), Some(d));
    }
    if let Ok(u) = s.parse::<Uscc>() {
        assert_eq!(u.to_string().parse::<Uscc>().ok(), Some(u));
    }
    let _ = s.parse::<LandUse>();
    let _ = s.parse::<Unit>();
    let _ = s.parse::<Medium>();
    let _ = s.parse::<Amount>();
});
