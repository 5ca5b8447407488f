//! Inputs built to hurt a decoder: each gets its error, promptly, and nothing is allocated
//! from a length the peer declared before that length is checked.

use ttlv::{DecodeErrorKind, Limits, decode_item, message_len};

fn header(tag: u32, item_type: u8, len: u32) -> Vec<u8> {
    let t = tag.to_be_bytes();
    let mut v = vec![t[1], t[2], t[3], item_type];
    v.extend_from_slice(&len.to_be_bytes());
    v
}

#[test]
fn truncated_header() {
    for n in 0..8 {
        let bytes = &header(0x42_0078, 1, 0)[..n];
        let err = decode_item(bytes, &Limits::default()).expect_err("short");
        assert!(matches!(err.kind, DecodeErrorKind::Truncated { .. }), "{err}");
    }
}

#[test]
fn lengths_past_the_end_and_of_two_to_the_31() {
    for len in [16, 1 << 31, u32::MAX - 7] {
        let mut bytes = header(0x42_0078, 1, len);
        bytes.extend_from_slice(&[0; 8]);
        let err = decode_item(&bytes, &Limits::default()).expect_err("overrun");
        assert!(matches!(err.kind, DecodeErrorKind::Truncated { .. }), "{err}");
        let head: [u8; 8] = bytes[..8].try_into().expect("8 bytes");
        if len > 1 << 20 {
            let err = message_len(&head, &Limits::default()).expect_err("too large");
            assert!(matches!(err.kind, DecodeErrorKind::MessageTooLarge { .. }), "{err}");
        }
    }
    let mut text = header(0x42_0094, 7, 1 << 31);
    text.extend_from_slice(b"abc");
    assert!(decode_item(&text, &Limits::default()).is_err());
}

#[test]
fn nesting_ten_thousand_deep() {
    let depth = 10_000;
    let mut bytes = Vec::with_capacity(depth * 8);
    for level in 0..depth {
        bytes.extend(header(0x42_0078, 1, ((depth - level - 1) * 8) as u32));
    }
    let err = decode_item(&bytes, &Limits::default()).expect_err("too deep");
    assert_eq!(err.kind, DecodeErrorKind::TooDeep(Limits::DEFAULT_MAX_DEPTH));
}

#[test]
fn too_many_items() {
    let n = 1000;
    let mut bytes = header(0x42_0078, 1, (n * 16) as u32);
    for _ in 0..n {
        bytes.extend(header(0x42_000D, 2, 4));
        bytes.extend([0; 8]);
    }
    let limits = Limits { max_items: 100, ..Limits::default() };
    let err = decode_item(&bytes, &limits).expect_err("too many");
    assert_eq!(err.kind, DecodeErrorKind::TooManyItems(100));
    assert!(decode_item(&bytes, &Limits::default()).is_ok());
}

#[test]
fn oversized_message() {
    let limits = Limits { max_message_size: 64, ..Limits::default() };
    let bytes = vec![0u8; 65];
    let err = decode_item(&bytes, &limits).expect_err("too large");
    assert!(matches!(err.kind, DecodeErrorKind::MessageTooLarge { size: 65, limit: 64 }));
}

#[test]
fn invalid_utf8_and_trailing_bytes() {
    let mut bytes = header(0x42_0094, 7, 2);
    bytes.extend([0xC3, 0x28, 0, 0, 0, 0, 0, 0]);
    assert_eq!(decode_item(&bytes, &Limits::default()).expect_err("utf8").kind, DecodeErrorKind::InvalidUtf8);

    let mut bytes = header(0x42_000D, 2, 4);
    bytes.extend([0, 0, 0, 1, 0, 0, 0, 0]);
    bytes.extend([0; 8]);
    assert_eq!(decode_item(&bytes, &Limits::default()).expect_err("trailing").kind, DecodeErrorKind::TrailingBytes(8));
}

#[test]
fn huge_big_integer_is_bounded_by_the_message_cap() {
    let len = 2 << 20;
    let mut bytes = header(0x42_0052, 4, len);
    bytes.resize(8 + len as usize, 0);
    let err = decode_item(&bytes, &Limits::default()).expect_err("too large");
    assert!(matches!(err.kind, DecodeErrorKind::MessageTooLarge { .. }));
}
