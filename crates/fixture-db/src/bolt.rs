//! A minimal, deterministic writer for bbolt database files (go.etcd.io/bbolt, the store behind
//! `trivy.db`). It writes a whole database in one go; it never updates one.
//!
//! File layout written here (all integers little-endian, as bbolt writes them on amd64/arm64):
//!
//! * page 0 and page 1: meta pages (`page.go` header + `meta` struct, FNV-1a 64 checksum over the
//!   meta fields before the checksum). They differ only in their page id and txid, like a freshly
//!   initialised bbolt file, so the reader picks meta 1 (higher txid) and meta 0 is an equal backup.
//! * page 2: an empty freelist page (every page is in use).
//! * page 3..: the B+trees. Sub-buckets are written before the bucket that contains them, and a
//!   bucket's leaves before its branch pages, so page ids only ever point backwards.
//!
//! Buckets follow bbolt's own inlining rule (`bucket.go inlineable`): a bucket without
//! sub-buckets whose leaf fits in a quarter page is stored *inline* in its parent's value
//! (bucket header with root 0, then a leaf page image). Any other bucket gets its own pages:
//! leaf pages packed up to one page each (a single element larger than a page gets a leaf with
//! overflow pages), and branch pages above them until one root page remains.

use std::collections::BTreeMap;

/// Page size written into the meta page (bbolt uses the OS page size, 4 KiB on amd64/arm64).
pub const PAGE_SIZE: usize = 4096;
/// `bbolt/internal/common/types.go Magic`.
pub const MAGIC: u32 = 0xED0C_DAED;
/// `bbolt/internal/common/types.go Version`: the data file format version.
pub const VERSION: u32 = 2;

pub const PAGE_HEADER_SIZE: usize = 16;
pub const LEAF_ELEMENT_SIZE: usize = 16;
pub const BRANCH_ELEMENT_SIZE: usize = 16;
pub const BUCKET_HEADER_SIZE: usize = 16;
/// Size of the meta struct up to (not including) its checksum field.
pub const META_CHECKSUMMED_SIZE: usize = 56;

pub const BRANCH_PAGE_FLAG: u16 = 0x01;
pub const LEAF_PAGE_FLAG: u16 = 0x02;
pub const META_PAGE_FLAG: u16 = 0x04;
pub const FREELIST_PAGE_FLAG: u16 = 0x10;
/// Leaf element flag marking the value as a (sub-)bucket.
pub const BUCKET_LEAF_FLAG: u32 = 0x01;

/// `bbolt.MaxKeySize`.
pub const MAX_KEY_SIZE: usize = 32_768;
/// `bbolt.MaxValueSize`.
pub const MAX_VALUE_SIZE: usize = (1 << 31) - 2;

const FREELIST_PGID: u64 = 2;
const FIRST_DATA_PGID: u64 = 3;

/// One entry of a bucket: a plain value or a nested bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Value(Vec<u8>),
    Bucket(Bucket),
}

/// A bucket: keys in bbolt's order (plain byte order, like `bytes.Compare`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    pub entries: BTreeMap<Vec<u8>, Node>,
}

/// Why a tree cannot be written as a bbolt file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BoltError {
    #[error("empty key in bucket {0}")]
    EmptyKey(String),
    #[error("key of {size} bytes in bucket {bucket} exceeds bbolt's maximum of {MAX_KEY_SIZE}")]
    KeyTooLarge { bucket: String, size: usize },
    #[error("value of {size} bytes in bucket {bucket} exceeds bbolt's maximum of {MAX_VALUE_SIZE}")]
    ValueTooLarge { bucket: String, size: usize },
    #[error("the root bucket can hold only buckets, but key {0:?} is a plain value")]
    ValueInRoot(String),
    #[error("the database would need more than 2^32 pages in one node")]
    TooLarge,
}

/// 64-bit FNV-1a, the checksum bbolt stores in its meta pages (`hash/fnv New64a`).
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Serialise `root` (whose entries must all be buckets) as a complete bbolt file.
pub fn write_db(root: &Bucket) -> Result<Vec<u8>, BoltError> {
    for (k, v) in &root.entries {
        if matches!(v, Node::Value(_)) {
            return Err(BoltError::ValueInRoot(
                String::from_utf8_lossy(k).into_owned(),
            ));
        }
    }
    let mut w = Writer {
        buf: vec![0; FIRST_DATA_PGID as usize * PAGE_SIZE],
        next_pgid: FIRST_DATA_PGID,
    };
    let root_pgid = w.write_tree(root, "")?;
    let high_water = w.next_pgid;
    for (pgid, txid) in [(0u64, 0u64), (1, 1)] {
        w.write_meta(pgid, root_pgid, high_water, txid);
    }
    write_page_header(&mut w.buf, FREELIST_PGID, FREELIST_PAGE_FLAG, 0, 0);
    Ok(w.buf)
}

struct Writer {
    buf: Vec<u8>,
    next_pgid: u64,
}

/// One leaf element before it is laid out: key, value bytes, leaf flags.
struct LeafItem {
    key: Vec<u8>,
    value: Vec<u8>,
    flags: u32,
}

impl Writer {
    /// Reserve `n` contiguous pages; returns the first page id.
    fn alloc(&mut self, n: usize) -> u64 {
        let id = self.next_pgid;
        self.next_pgid += n as u64;
        self.buf.resize(self.next_pgid as usize * PAGE_SIZE, 0);
        id
    }

    fn write_meta(&mut self, pgid: u64, root: u64, high_water: u64, txid: u64) {
        let off = pgid as usize * PAGE_SIZE;
        write_page_header(&mut self.buf, pgid, META_PAGE_FLAG, 0, 0);
        let mut m = Vec::with_capacity(64);
        m.extend_from_slice(&MAGIC.to_le_bytes());
        m.extend_from_slice(&VERSION.to_le_bytes());
        m.extend_from_slice(&(PAGE_SIZE as u32).to_le_bytes());
        m.extend_from_slice(&0u32.to_le_bytes()); // flags
        m.extend_from_slice(&root.to_le_bytes()); // root bucket: root pgid
        m.extend_from_slice(&0u64.to_le_bytes()); // root bucket: sequence
        m.extend_from_slice(&FREELIST_PGID.to_le_bytes());
        m.extend_from_slice(&high_water.to_le_bytes());
        m.extend_from_slice(&txid.to_le_bytes());
        debug_assert_eq!(m.len(), META_CHECKSUMMED_SIZE);
        let sum = fnv1a64(&m);
        m.extend_from_slice(&sum.to_le_bytes());
        let start = off + PAGE_HEADER_SIZE;
        self.buf[start..start + m.len()].copy_from_slice(&m);
    }

    /// Leaf items of `bucket`, writing its sub-buckets first (which may allocate pages).
    fn leaf_items(&mut self, bucket: &Bucket, path: &str) -> Result<Vec<LeafItem>, BoltError> {
        let mut items = Vec::with_capacity(bucket.entries.len());
        for (key, node) in &bucket.entries {
            if key.is_empty() {
                return Err(BoltError::EmptyKey(display_path(path)));
            }
            if key.len() > MAX_KEY_SIZE {
                return Err(BoltError::KeyTooLarge {
                    bucket: display_path(path),
                    size: key.len(),
                });
            }
            let (value, flags) = match node {
                Node::Value(v) => {
                    if v.len() > MAX_VALUE_SIZE {
                        return Err(BoltError::ValueTooLarge {
                            bucket: display_path(path),
                            size: v.len(),
                        });
                    }
                    (v.clone(), 0)
                }
                Node::Bucket(sub) => {
                    let sub_path = format!("{path}/{}", String::from_utf8_lossy(key));
                    (self.bucket_value(sub, &sub_path)?, BUCKET_LEAF_FLAG)
                }
            };
            items.push(LeafItem {
                key: key.clone(),
                value,
                flags,
            });
        }
        Ok(items)
    }

    /// The value stored under a sub-bucket's key: a bucket header, plus the leaf page image
    /// when the bucket is inline.
    fn bucket_value(&mut self, bucket: &Bucket, path: &str) -> Result<Vec<u8>, BoltError> {
        let items = self.leaf_items(bucket, path)?;
        if inlineable(&items) {
            let mut v = vec![0u8; BUCKET_HEADER_SIZE + leaf_size(&items)];
            // header: root 0 (inline), sequence 0; page image id 0, as bbolt writes it.
            write_leaf(&mut v[BUCKET_HEADER_SIZE..], 0, &items, 0)?;
            return Ok(v);
        }
        let root = self.write_items(items)?;
        let mut v = vec![0u8; BUCKET_HEADER_SIZE];
        v[..8].copy_from_slice(&root.to_le_bytes());
        Ok(v)
    }

    /// Write `bucket` as its own tree of pages; returns its root page id.
    fn write_tree(&mut self, bucket: &Bucket, path: &str) -> Result<u64, BoltError> {
        let items = self.leaf_items(bucket, path)?;
        self.write_items(items)
    }

    fn write_items(&mut self, items: Vec<LeafItem>) -> Result<u64, BoltError> {
        // Leaf level: pack elements greedily, at most one page per leaf unless a single element
        // alone is larger than a page (then that leaf has overflow pages).
        let mut level: Vec<(Vec<u8>, u64)> = Vec::new();
        for chunk in pack(&items, |it| {
            LEAF_ELEMENT_SIZE + it.key.len() + it.value.len()
        }) {
            let size = leaf_size(chunk);
            let npages = size.div_ceil(PAGE_SIZE).max(1);
            let pgid = self.alloc(npages);
            let off = pgid as usize * PAGE_SIZE;
            let overflow = u32::try_from(npages - 1).map_err(|_| BoltError::TooLarge)?;
            write_leaf(
                &mut self.buf[off..off + npages * PAGE_SIZE],
                pgid,
                chunk,
                overflow,
            )?;
            let first = chunk.first().map(|it| it.key.clone()).unwrap_or_default();
            level.push((first, pgid));
        }
        if level.is_empty() {
            // An empty tree is one empty leaf page.
            let pgid = self.alloc(1);
            let off = pgid as usize * PAGE_SIZE;
            write_leaf(&mut self.buf[off..off + PAGE_SIZE], pgid, &[], 0)?;
            return Ok(pgid);
        }
        // Branch levels: each branch element carries its child's first key.
        while level.len() > 1 {
            let mut next = Vec::new();
            for chunk in pack(&level, |(k, _)| BRANCH_ELEMENT_SIZE + k.len()) {
                let size = PAGE_HEADER_SIZE
                    + chunk
                        .iter()
                        .map(|(k, _)| BRANCH_ELEMENT_SIZE + k.len())
                        .sum::<usize>();
                let npages = size.div_ceil(PAGE_SIZE);
                let pgid = self.alloc(npages);
                let overflow = u32::try_from(npages - 1).map_err(|_| BoltError::TooLarge)?;
                let off = pgid as usize * PAGE_SIZE;
                write_branch(
                    &mut self.buf[off..off + npages * PAGE_SIZE],
                    pgid,
                    chunk,
                    overflow,
                )?;
                next.push((chunk[0].0.clone(), pgid));
            }
            level = next;
        }
        Ok(level[0].1)
    }
}

/// bbolt `node.go minKeysPerPage`: a node that is split keeps at least this many keys per part.
const MIN_KEYS_PER_PAGE: usize = 2;

/// Split `items` into runs whose page (header + elements) fits in one page, except that, like
/// bbolt's `node.splitIndex`, every run keeps at least [`MIN_KEYS_PER_PAGE`] elements when there
/// are that many (such a run then spans overflow pages). This also guarantees that each branch
/// level is at most half as wide as the one below, so the tree always converges to one root.
fn pack<T>(items: &[T], size_of: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut size = PAGE_HEADER_SIZE;
    for (i, it) in items.iter().enumerate() {
        let s = size_of(it);
        if i - start >= MIN_KEYS_PER_PAGE
            && items.len() - i >= MIN_KEYS_PER_PAGE
            && size + s > PAGE_SIZE
        {
            runs.push(&items[start..i]);
            start = i;
            size = PAGE_HEADER_SIZE;
        }
        size += s;
    }
    if start < items.len() {
        runs.push(&items[start..]);
    }
    runs
}

fn leaf_size(items: &[LeafItem]) -> usize {
    PAGE_HEADER_SIZE
        + items
            .iter()
            .map(|it| LEAF_ELEMENT_SIZE + it.key.len() + it.value.len())
            .sum::<usize>()
}

/// bbolt `bucket.go inlineable`: no sub-buckets, and the leaf fits in a quarter page.
fn inlineable(items: &[LeafItem]) -> bool {
    items.iter().all(|it| it.flags & BUCKET_LEAF_FLAG == 0) && leaf_size(items) <= PAGE_SIZE / 4
}

/// Write a page header at page `pgid` of the whole-file buffer `buf`.
fn write_page_header(buf: &mut [u8], pgid: u64, flags: u16, count: u16, overflow: u32) {
    let off = pgid as usize * PAGE_SIZE;
    buf[off..off + 8].copy_from_slice(&pgid.to_le_bytes());
    buf[off + 8..off + 10].copy_from_slice(&flags.to_le_bytes());
    buf[off + 10..off + 12].copy_from_slice(&count.to_le_bytes());
    buf[off + 12..off + 16].copy_from_slice(&overflow.to_le_bytes());
}

fn put_u32(buf: &mut [u8], off: usize, v: usize) -> Result<(), BoltError> {
    let v = u32::try_from(v).map_err(|_| BoltError::TooLarge)?;
    buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
    Ok(())
}

/// Lay out a leaf page at the start of `page` (`page.go leafPageElement`: flags, pos, ksize,
/// vsize; pos is relative to the element itself).
fn write_leaf(
    page: &mut [u8],
    pgid: u64,
    items: &[LeafItem],
    overflow: u32,
) -> Result<(), BoltError> {
    let count = u16::try_from(items.len()).map_err(|_| BoltError::TooLarge)?;
    page[0..8].copy_from_slice(&pgid.to_le_bytes());
    page[8..10].copy_from_slice(&LEAF_PAGE_FLAG.to_le_bytes());
    page[10..12].copy_from_slice(&count.to_le_bytes());
    page[12..16].copy_from_slice(&overflow.to_le_bytes());
    let mut data = PAGE_HEADER_SIZE + items.len() * LEAF_ELEMENT_SIZE;
    for (i, it) in items.iter().enumerate() {
        let e = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
        put_u32(page, e, it.flags as usize)?;
        put_u32(page, e + 4, data - e)?;
        put_u32(page, e + 8, it.key.len())?;
        put_u32(page, e + 12, it.value.len())?;
        page[data..data + it.key.len()].copy_from_slice(&it.key);
        data += it.key.len();
        page[data..data + it.value.len()].copy_from_slice(&it.value);
        data += it.value.len();
    }
    Ok(())
}

/// Lay out a branch page (`page.go branchPageElement`: pos, ksize, pgid).
fn write_branch(
    page: &mut [u8],
    pgid: u64,
    children: &[(Vec<u8>, u64)],
    overflow: u32,
) -> Result<(), BoltError> {
    let count = u16::try_from(children.len()).map_err(|_| BoltError::TooLarge)?;
    page[0..8].copy_from_slice(&pgid.to_le_bytes());
    page[8..10].copy_from_slice(&BRANCH_PAGE_FLAG.to_le_bytes());
    page[10..12].copy_from_slice(&count.to_le_bytes());
    page[12..16].copy_from_slice(&overflow.to_le_bytes());
    let mut data = PAGE_HEADER_SIZE + children.len() * BRANCH_ELEMENT_SIZE;
    for (i, (key, child)) in children.iter().enumerate() {
        let e = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
        put_u32(page, e, data - e)?;
        put_u32(page, e + 4, key.len())?;
        page[e + 8..e + 16].copy_from_slice(&child.to_le_bytes());
        page[data..data + key.len()].copy_from_slice(key);
        data += key.len();
    }
    Ok(())
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests;
