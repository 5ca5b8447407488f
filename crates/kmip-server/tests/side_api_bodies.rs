//! The `side_api` fuzz target's function on its seeds (the bodies real clients send, and
//! broken ones): every route answers without a 5xx, and the good bodies succeed.

use kmip_server::__fuzz::{SEEDS, side_api};

#[test]
fn every_seed_gets_an_answer_and_no_server_error() {
    let mut ok = 0;
    for (route, body) in SEEDS {
        let status = side_api(&[&[route][..], body.as_bytes()].concat());
        if (200..300).contains(&status) {
            ok += 1;
        }
    }
    // Create, List and Login succeed as sent; the rest are the caller's mistakes (4xx).
    assert!(ok >= 3, "{ok} seeds succeeded");
    // And a few thousand bytes of noise on every route.
    for route in 0..8u8 {
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        side_api(&[&[route][..], &noise].concat());
    }
}
