//! Properties of the codec over generated inputs: encode → decode is the identity, decode →
//! encode → decode is the identity, and no byte string makes the decoder panic.

use proptest::prelude::*;
use ttlv::{BigInt, Item, Limits, Tag, Value, decode_item, encode_item};

fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![(0x42_0001u32..0x42_0180).prop_map(Tag), (0x54_0000u32..=0x54_FFFF).prop_map(Tag),]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        prop::collection::vec(any::<u8>(), 1..40).prop_map(|b| Value::BigInteger(BigInt::from_signed_bytes_be(&b))),
        any::<u32>().prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,40}".prop_map(Value::TextString),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::ByteString),
        any::<i64>().prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let leaf_item = (tag(), leaf()).prop_map(|(t, v)| Item::new(t, v));
    leaf_item.prop_recursive(6, 64, 8, |inner| {
        (tag(), prop::collection::vec(inner, 0..8)).prop_map(|(t, c)| Item::structure(t, c))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn encode_then_decode_is_identity(item in item()) {
        let bytes = encode_item(&item);
        prop_assert_eq!(bytes.len() % 8, 0);
        let decoded = decode_item(&bytes, &Limits::default()).expect("our own encoding decodes");
        prop_assert_eq!(&decoded, &item);
        prop_assert!(ttlv::__fuzz::roundtrip(&bytes));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        ttlv::__fuzz::roundtrip(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(item in item(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = encode_item(&item);
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        ttlv::__fuzz::roundtrip(&bytes);
    }
}
