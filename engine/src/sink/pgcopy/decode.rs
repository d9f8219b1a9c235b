//! A binary COPY stream read back: used by the tests to check the encoder.

/// One field: NULL or its bytes.
pub type Field = Option<Vec<u8>>;

/// Splits a whole stream into tuples of fields; panics on a malformed stream.
pub fn tuples(stream: &[u8]) -> Vec<Vec<Field>> {
    assert_eq!(&stream[..super::HEADER.len()], super::HEADER, "header");
    let mut at = super::HEADER.len();
    let mut take = |n: usize| {
        let s = &stream[at..at + n];
        at += n;
        s
    };
    let mut out = Vec::new();
    loop {
        let count = i16::from_be_bytes(take(2).try_into().unwrap());
        if count == -1 {
            break;
        }
        let mut fields = Vec::new();
        for _ in 0..count {
            let len = i32::from_be_bytes(take(4).try_into().unwrap());
            fields.push((len >= 0).then(|| take(len as usize).to_vec()));
        }
        out.push(fields);
    }
    assert_eq!(at, stream.len(), "bytes after the trailer");
    out
}

/// A numeric field as PostgreSQL would print it with its dscale (`-12.500`).
pub fn numeric(b: &[u8]) -> String {
    let i16_at = |i: usize| i16::from_be_bytes([b[i], b[i + 1]]);
    let (ndigits, weight, sign, dscale) = (
        i16_at(0) as usize,
        i16_at(2) as i32,
        i16_at(4) as u16,
        i16_at(6) as usize,
    );
    assert_eq!(b.len(), 8 + 2 * ndigits);
    let groups: Vec<u16> = (0..ndigits).map(|i| i16_at(8 + 2 * i) as u16).collect();
    assert!(groups.iter().all(|&g| g < 10_000));
    // Integer groups are weights weight..=0, fraction groups -1, -2, ...
    let group = |w: i32| -> u16 {
        let i = weight - w;
        if i >= 0 && (i as usize) < groups.len() {
            groups[i as usize]
        } else {
            0
        }
    };
    let mut int = String::new();
    for w in (0..=weight.max(0)).rev() {
        int.push_str(&format!("{:04}", group(w)));
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac = String::new();
    for w in 1..=dscale.div_ceil(4) as i32 {
        frac.push_str(&format!("{:04}", group(-w)));
    }
    frac.truncate(dscale);
    let sign = match sign {
        0 => "",
        0x4000 => "-",
        s => panic!("sign {s:#x}"),
    };
    format!("{sign}{int}.{frac}")
}
