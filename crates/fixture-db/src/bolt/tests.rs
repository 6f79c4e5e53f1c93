//! Page-layout tests. `Reader` is an independent, strict bbolt reader written from bbolt's
//! `page.go`/`db.go`/`bucket.go` layout: it checks what `tx.Check()` checks (every page reachable
//! exactly once, key order, branch keys) plus the meta checksums, and rebuilds the tree.

use super::*;

#[derive(Debug)]
struct Meta {
    root: u64,
    freelist: u64,
    pgid: u64,
    txid: u64,
}

struct Reader<'a> {
    data: &'a [u8],
    seen: Vec<u32>,
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

fn read_meta(data: &[u8], pgid: u64) -> Result<Meta, String> {
    let p = &data[pgid as usize * PAGE_SIZE..(pgid as usize + 1) * PAGE_SIZE];
    if u64_at(p, 0) != pgid || u16_at(p, 8) != META_PAGE_FLAG {
        return Err(format!("page {pgid}: not a meta page"));
    }
    let m = &p[PAGE_HEADER_SIZE..];
    if u32_at(m, 0) != MAGIC || u32_at(m, 4) != VERSION || u32_at(m, 8) as usize != PAGE_SIZE {
        return Err(format!("meta {pgid}: bad magic/version/page size"));
    }
    if u64_at(m, META_CHECKSUMMED_SIZE) != fnv1a64(&m[..META_CHECKSUMMED_SIZE]) {
        return Err(format!("meta {pgid}: checksum mismatch"));
    }
    Ok(Meta {
        root: u64_at(m, 16),
        freelist: u64_at(m, 32),
        pgid: u64_at(m, 40),
        txid: u64_at(m, 48),
    })
}

/// Parse and fully check a database; returns the root bucket and the meta that bbolt would use.
fn read_db(data: &[u8]) -> Result<(Bucket, Meta), String> {
    if !data.len().is_multiple_of(PAGE_SIZE) || data.len() < 4 * PAGE_SIZE {
        return Err(format!(
            "file size {} is not a whole number of pages",
            data.len()
        ));
    }
    let m0 = read_meta(data, 0)?;
    let m1 = read_meta(data, 1)?;
    let meta = if m1.txid > m0.txid { m1 } else { m0 };
    if meta.pgid as usize * PAGE_SIZE != data.len() {
        return Err(format!(
            "high water mark {} does not match file size",
            meta.pgid
        ));
    }
    let mut r = Reader {
        data,
        seen: vec![0; meta.pgid as usize],
    };
    r.seen[0] += 1;
    r.seen[1] += 1;
    let fl = r.page(meta.freelist)?;
    if u16_at(fl, 8) != FREELIST_PAGE_FLAG || u16_at(fl, 10) != 0 {
        return Err("freelist page is not an empty freelist".into());
    }
    let root = r.tree(meta.root)?;
    for (id, n) in r.seen.iter().enumerate() {
        if *n != 1 {
            return Err(format!(
                "page {id}: referenced {n} times (bbolt: unreachable or double use)"
            ));
        }
    }
    Ok((root, meta))
}

impl<'a> Reader<'a> {
    /// The bytes of page `id` including its overflow pages; marks them as used.
    fn page(&mut self, id: u64) -> Result<&'a [u8], String> {
        let start = id as usize * PAGE_SIZE;
        if id as usize >= self.seen.len() {
            return Err(format!("page {id} beyond high water mark"));
        }
        let hdr = &self.data[start..start + PAGE_HEADER_SIZE];
        if u64_at(hdr, 0) != id {
            return Err(format!("page {id}: header says id {}", u64_at(hdr, 0)));
        }
        let overflow = u32_at(hdr, 12) as usize;
        for p in id as usize..=id as usize + overflow {
            *self
                .seen
                .get_mut(p)
                .ok_or(format!("page {id}: overflow past end"))? += 1;
        }
        Ok(&self.data[start..start + (overflow + 1) * PAGE_SIZE])
    }

    fn tree(&mut self, id: u64) -> Result<Bucket, String> {
        let mut b = Bucket::default();
        self.collect(id, &mut b)?;
        Ok(b)
    }

    fn collect(&mut self, id: u64, into: &mut Bucket) -> Result<Option<Vec<u8>>, String> {
        let p = self.page(id)?;
        match u16_at(p, 8) {
            LEAF_PAGE_FLAG => self.leaf(p, into),
            BRANCH_PAGE_FLAG => {
                let count = u16_at(p, 10) as usize;
                let mut first = None;
                for i in 0..count {
                    let e = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
                    let pos = e + u32_at(p, e) as usize;
                    let key = p[pos..pos + u32_at(p, e + 4) as usize].to_vec();
                    let child = u64_at(p, e + 8);
                    let child_first = self.collect(child, into)?;
                    if child_first.as_deref() != Some(&key[..]) {
                        return Err(format!(
                            "branch {id}: key {key:?} is not child {child}'s first key"
                        ));
                    }
                    first.get_or_insert(key);
                }
                Ok(first)
            }
            f => Err(format!("page {id}: unexpected flags {f:#x}")),
        }
    }

    /// Read a leaf page image into `into`; returns its first key. Keys must ascend, also across
    /// pages (a key that sorts before one already read is an order error).
    fn leaf(&mut self, p: &'a [u8], into: &mut Bucket) -> Result<Option<Vec<u8>>, String> {
        if u16_at(p, 8) != LEAF_PAGE_FLAG {
            return Err("inline bucket page is not a leaf".into());
        }
        let count = u16_at(p, 10) as usize;
        let mut first = None;
        for i in 0..count {
            let e = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
            let flags = u32_at(p, e);
            let pos = e + u32_at(p, e + 4) as usize;
            let ksize = u32_at(p, e + 8) as usize;
            let vsize = u32_at(p, e + 12) as usize;
            let key = p[pos..pos + ksize].to_vec();
            let value = &p[pos + ksize..pos + ksize + vsize];
            if into
                .entries
                .last_key_value()
                .is_some_and(|(last, _)| *last >= key)
            {
                return Err(format!("key {key:?} out of order"));
            }
            let node = if flags & BUCKET_LEAF_FLAG != 0 {
                let root = u64_at(value, 0);
                if root == 0 {
                    let mut sub = Bucket::default();
                    self.leaf(&value[BUCKET_HEADER_SIZE..], &mut sub)?;
                    Node::Bucket(sub)
                } else {
                    Node::Bucket(self.tree(root)?)
                }
            } else {
                Node::Value(value.to_vec())
            };
            first.get_or_insert_with(|| key.clone());
            into.entries.insert(key, node);
        }
        Ok(first)
    }
}

fn bucket(entries: impl IntoIterator<Item = (String, Node)>) -> Bucket {
    Bucket {
        entries: entries
            .into_iter()
            .map(|(k, v)| (k.into_bytes(), v))
            .collect(),
    }
}

fn val(s: &str) -> Node {
    Node::Value(s.as_bytes().to_vec())
}

/// The Trivy-shaped tree used by the size tests: `vulns` vulnerability details and `pkgs`
/// package buckets of 6 advisories each under "debian 12".
fn trivy_shaped(vulns: usize, pkgs: usize) -> Bucket {
    let vuln = bucket((0..vulns).map(|i| {
        (
            format!("CVE-2024-{i:05}"),
            val(&format!(
                r#"{{"Description":"synthetic {i}","Severity":"HIGH","Title":"vuln {i}"}}"#
            )),
        )
    }));
    let debian = bucket((0..pkgs).map(|p| {
        let advisories = bucket((0..6).map(|j| {
            (
                format!("CVE-2024-{:05}", (p * 6 + j) % vulns.max(1)),
                val(r#"{"FixedVersion":"1.2.3-1"}"#),
            )
        }));
        (format!("pkg{p:04}"), Node::Bucket(advisories))
    }));
    bucket([
        ("debian 12".to_string(), Node::Bucket(debian)),
        ("vulnerability".to_string(), Node::Bucket(vuln)),
    ])
}

#[test]
fn fnv1a64_matches_reference_vectors() {
    // Reference values of Go's hash/fnv New64a.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn small_db_layout_is_meta_meta_freelist_root() {
    let root = bucket([(
        "data-source".to_string(),
        Node::Bucket(bucket([(
            "debian 12".to_string(),
            val(r#"{"ID":"debian"}"#),
        )])),
    )]);
    let db = write_db(&root).unwrap();
    assert_eq!(db.len(), 4 * PAGE_SIZE);
    // page ids and types
    for (id, flag) in [
        (0u64, META_PAGE_FLAG),
        (1, META_PAGE_FLAG),
        (2, FREELIST_PAGE_FLAG),
        (3, LEAF_PAGE_FLAG),
    ] {
        let off = id as usize * PAGE_SIZE;
        assert_eq!(u64_at(&db, off), id);
        assert_eq!(u16_at(&db, off + 8), flag);
    }
    // meta fields at their bbolt offsets; meta 1 is the newer one
    let m = read_meta(&db, 1).unwrap();
    assert_eq!((m.root, m.freelist, m.pgid, m.txid), (3, 2, 4, 1));
    assert_eq!(read_meta(&db, 0).unwrap().txid, 0);
    // the sub-bucket is inline: leaf element flagged as bucket, header root 0
    let e = 3 * PAGE_SIZE + PAGE_HEADER_SIZE;
    assert_eq!(u32_at(&db, e), BUCKET_LEAF_FLAG);
    let v = e + u32_at(&db, e + 4) as usize + u32_at(&db, e + 8) as usize;
    assert_eq!(u64_at(&db, v), 0);
    assert_eq!(u16_at(&db, v + BUCKET_HEADER_SIZE + 8), LEAF_PAGE_FLAG);
    let (back, _) = read_db(&db).unwrap();
    assert_eq!(back, root);
}

#[test]
fn corrupted_meta_checksum_is_detected() {
    let root = bucket([("b".to_string(), Node::Bucket(Bucket::default()))]);
    let mut db = write_db(&root).unwrap();
    db[PAGE_SIZE + PAGE_HEADER_SIZE + 16] ^= 1; // flip a bit of meta 1's root pgid
    assert!(read_meta(&db, 1).unwrap_err().contains("checksum"));
    assert!(read_meta(&db, 0).is_ok());
}

#[test]
fn empty_root_and_empty_buckets() {
    let db = write_db(&Bucket::default()).unwrap();
    assert_eq!(read_db(&db).unwrap().0, Bucket::default());
    let root = bucket([("empty".to_string(), Node::Bucket(Bucket::default()))]);
    assert_eq!(read_db(&write_db(&root).unwrap()).unwrap().0, root);
}

#[test]
fn bucket_with_sub_buckets_is_never_inline() {
    // bbolt's inlineable() refuses buckets containing buckets, however small.
    let inner = bucket([(
        "x".to_string(),
        Node::Bucket(bucket([("k".to_string(), val("v"))])),
    )]);
    let root = bucket([("outer".to_string(), Node::Bucket(inner))]);
    let db = write_db(&root).unwrap();
    assert_eq!(db.len(), 5 * PAGE_SIZE); // outer's own leaf (page 3) + root leaf (page 4)
    let m = read_meta(&db, 1).unwrap();
    assert_eq!(m.root, 4);
    assert_eq!(read_db(&db).unwrap().0, root);
}

#[test]
fn quarter_page_rule_for_inline_buckets() {
    // 16 (page header) + 16 (element) + 1 (key) + v <= 1024 stays inline.
    let fits = bucket([("k".to_string(), Node::Value(vec![b'a'; 1024 - 33]))]);
    let too_big = bucket([("k".to_string(), Node::Value(vec![b'a'; 1024 - 32]))]);
    let db_fits = write_db(&bucket([("b".to_string(), Node::Bucket(fits))])).unwrap();
    let db_big = write_db(&bucket([("b".to_string(), Node::Bucket(too_big.clone()))])).unwrap();
    assert_eq!(db_fits.len(), 4 * PAGE_SIZE);
    assert_eq!(db_big.len(), 5 * PAGE_SIZE);
    assert_eq!(
        read_db(&db_big).unwrap().0,
        bucket([("b".to_string(), Node::Bucket(too_big))])
    );
}

#[test]
fn value_larger_than_a_page_uses_overflow_pages() {
    let big = Node::Value((0..10_000u32).map(|i| (i % 251) as u8).collect());
    let root = bucket([(
        "vulnerability".to_string(),
        Node::Bucket(bucket([
            ("a".to_string(), val("small")),
            ("b".to_string(), big),
            ("c".to_string(), val("x")),
        ])),
    )]);
    let db = write_db(&root).unwrap();
    let (back, _) = read_db(&db).unwrap();
    assert_eq!(back, root);
    // some leaf page carries overflow pages
    let has_overflow = (3..db.len() / PAGE_SIZE).any(|p| {
        let off = p * PAGE_SIZE;
        u64_at(&db, off) == p as u64
            && u16_at(&db, off + 8) == LEAF_PAGE_FLAG
            && u32_at(&db, off + 12) > 0
    });
    assert!(has_overflow);
}

#[test]
fn thousands_of_keys_build_branch_pages_and_read_back() {
    let root = trivy_shaped(3_000, 500);
    let db = write_db(&root).unwrap();
    let (back, meta) = read_db(&db).unwrap();
    assert_eq!(back, root);
    // both big buckets need more than one leaf, so their roots are branch pages
    let mut branch_pages = 0;
    for p in 3..meta.pgid as usize {
        if u64_at(&db, p * PAGE_SIZE) == p as u64
            && u16_at(&db, p * PAGE_SIZE + 8) == BRANCH_PAGE_FLAG
        {
            branch_pages += 1;
        }
    }
    assert!(branch_pages >= 2, "{branch_pages} branch pages");
}

#[test]
fn deep_branch_trees_have_several_levels() {
    // Keys near the max size force few children per branch page, hence several branch levels.
    let keys = bucket((0..40).map(|i| (format!("{i:03}{}", "k".repeat(3000)), val("v"))));
    let root = bucket([("big".to_string(), Node::Bucket(keys))]);
    let db = write_db(&root).unwrap();
    assert_eq!(read_db(&db).unwrap().0, root);
    // 2 keys per leaf (20 leaves), then branch levels of 10, 5, 2 and 1 pages
    let branches = (3..db.len() / PAGE_SIZE)
        .filter(|p| {
            u64_at(&db, p * PAGE_SIZE) == *p as u64
                && u16_at(&db, p * PAGE_SIZE + 8) == BRANCH_PAGE_FLAG
        })
        .count();
    assert_eq!(branches, 10 + 5 + 2 + 1);
}

#[test]
fn pack_keeps_two_elements_per_run() {
    let sizes = [5000usize, 10, 5000, 5000, 10];
    let runs = pack(&sizes, |s| *s);
    assert_eq!(runs, vec![&sizes[0..2], &sizes[2..5]]);
    let small = [10usize; 600]; // 600 * 10 + 16 > 4096: three runs
    assert_eq!(
        pack(&small, |s| *s)
            .iter()
            .map(|r| r.len())
            .collect::<Vec<_>>(),
        vec![408, 192]
    );
    assert_eq!(pack(&[1usize], |s| *s).len(), 1);
    assert!(pack(&[] as &[usize], |s| *s).is_empty());
}

#[test]
fn same_tree_gives_identical_bytes() {
    let a = write_db(&trivy_shaped(300, 50)).unwrap();
    let b = write_db(&trivy_shaped(300, 50)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn invalid_trees_are_errors_not_panics() {
    let root = bucket([("k".to_string(), val("v"))]);
    assert_eq!(write_db(&root), Err(BoltError::ValueInRoot("k".into())));
    let root = bucket([(
        "b".to_string(),
        Node::Bucket(bucket([(String::new(), val("v"))])),
    )]);
    assert_eq!(write_db(&root), Err(BoltError::EmptyKey("/b".into())));
    let long = "k".repeat(MAX_KEY_SIZE + 1);
    let root = bucket([("b".to_string(), Node::Bucket(bucket([(long, val("v"))])))]);
    assert!(matches!(
        write_db(&root),
        Err(BoltError::KeyTooLarge { .. })
    ));
}
