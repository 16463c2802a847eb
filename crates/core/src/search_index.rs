//! The in-memory full-text index (tantivy, RAM directory): nothing of it touches the disk, so
//! no plaintext narrative or name is ever written outside the encrypted columns.
//!
//! Two analyzers: `es_text` for narratives and notes (lower case, ASCII folding, Spanish stop
//! words, Snowball Spanish stemmer — "captacion" finds "Captación", "captadas" finds
//! "captación") and `es_names` for names and aliases (lower case and folding only: names are
//! not stemmed). The index holds ids and kinds, never who may see what: every hit is checked
//! against the policy at query time.
//!
//! The index's files can be handed out (`export_files`) and a whole index taken back
//! (`load_files`): that is how a server starts from its encrypted snapshot
//! (`crypto/sealed_files.rs`) instead of decrypting every person again. The files only ever
//! leave this process sealed.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::directory::{Directory, RamDirectory};
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

/// The tantivy parts a loaded snapshot replaces whole.
struct Engine {
    index: Index,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
}

impl Engine {
    fn open(index: Index) -> Result<Self, String> {
        register_analyzers(&index)?;
        let writer = index.writer_with_num_threads(1, 30_000_000).map_err(|e| e.to_string())?;
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e: tantivy::TantivyError| e.to_string())?;
        Ok(Self { index, writer: Mutex::new(writer), reader })
    }
}

/// The index files that are not data: locks, which a new directory makes for itself.
fn is_lock(name: &str) -> bool {
    name.ends_with(".lock")
}

fn schema() -> Schema {
    let mut sb = Schema::builder();
    sb.add_text_field("key", STRING);
    sb.add_text_field("kind", STRING | STORED);
    sb.add_text_field("id", STRING | STORED);
    sb.add_text_field("text", text_options("es_text"));
    sb.add_text_field("names", text_options("es_names"));
    sb.add_text_field("phon", text_options("es_names"));
    sb.add_text_field("orgs", STRING);
    sb.build()
}

fn register_analyzers(index: &Index) -> Result<(), String> {
    let stop = StopWordFilter::new(Language::Spanish).ok_or("no Spanish stop words")?;
    index.tokenizers().register(
        "es_text",
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(stop)
            .filter(Stemmer::new(Language::Spanish))
            .build(),
    );
    index.tokenizers().register(
        "es_names",
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    Ok(())
}

/// An export's plan: the names of its files, in order, and a way to read each.
pub struct IndexExport {
    engine: Arc<Engine>,
    pub names: Vec<String>,
    meta: Vec<u8>,
    managed: Vec<u8>,
}

impl IndexExport {
    /// One file of the export. A segment a merge removed since the plan was made is an
    /// error: the export is abandoned, and the next one plans again.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        match name {
            "meta.json" => Ok(self.meta.clone()),
            ".managed.json" => Ok(self.managed.clone()),
            _ => self.engine.index.directory().atomic_read(Path::new(name)).map_err(|e| format!("{name}: {e}")),
        }
    }
}

pub struct SearchIndex {
    engine: RwLock<Arc<Engine>>,
    key: Field,
    kind: Field,
    id: Field,
    text: Field,
    names: Field,
    /// The Spanish phonetic keys of the names (the linkage engine's: b/v, c/s/z, ll/y, silent
    /// h…), so a name typed from speech finds its record.
    phon: Field,
    /// Organisations with a relation to the record (owner, sharing or referral recipients):
    /// a pre-filter so broad queries rank the caller's records, not everyone's. The policy
    /// still decides every hit.
    orgs: Field,
    /// The audit sequence number up to which changes have been indexed.
    pub(crate) indexed_seq: Mutex<i64>,
    /// Whether the start-up build has finished: until then a search would miss records, so
    /// it says so instead, and the refresh from the audit trail waits (the build started
    /// from the audit head it read first).
    ready: AtomicBool,
}

/// The phonetic keys of a name string, space-separated (one per word).
fn phonetic_keys(names: &str) -> String {
    amparo_linkage::normalize::fold(names)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| amparo_linkage::phonetic::key(w).to_lowercase())
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word of a query: the terms the narrative analyzer makes of it, and the names analyzer's.
type QueryWord = (Vec<String>, Vec<String>);

/// A document to index: what it is, and its searchable text (decrypted by the caller).
pub struct SearchDoc {
    pub kind: &'static str,
    pub id: String,
    pub text: String,
    pub names: String,
    pub orgs: Vec<String>,
}

fn text_options(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

impl SearchIndex {
    pub fn new() -> Result<Self, String> {
        let schema = schema();
        let field = |name: &str| schema.get_field(name).map_err(|e| e.to_string());
        let (key, kind, id, text, names, phon, orgs) =
            (field("key")?, field("kind")?, field("id")?, field("text")?, field("names")?, field("phon")?, field("orgs")?);
        let engine = Engine::open(Index::create_in_ram(schema))?;
        Ok(Self {
            engine: RwLock::new(Arc::new(engine)),
            key,
            kind,
            id,
            text,
            names,
            phon,
            orgs,
            indexed_seq: Mutex::new(0),
            ready: AtomicBool::new(false),
        })
    }

    fn engine(&self) -> Result<Arc<Engine>, String> {
        self.engine.read().map(|e| e.clone()).map_err(|_| "search engine poisoned".to_owned())
    }

    /// What an export of the index as it stands holds: `meta.json`, the files of the segments
    /// it names, and a `.managed.json` naming those files (so the index loaded from them
    /// garbage-collects them when a merge replaces them). The files are found from the
    /// segments, not from the directory's own list: an index loaded from a snapshot has never
    /// "created" its files. Segments never change once written, but a merge may replace some
    /// meanwhile, so the plan is made again until `meta.json` is the same before and after.
    /// The files themselves are read one at a time (`IndexExport::read`): a snapshot of a
    /// national index is hundreds of megabytes, and should not sit in memory twice.
    pub fn export(&self) -> Result<IndexExport, String> {
        use tantivy::index::SegmentComponent as C;
        let e = self.engine()?;
        let dir = e.index.directory();
        for _ in 0..20 {
            let before = dir.atomic_read(Path::new("meta.json")).map_err(|e| e.to_string())?;
            let metas = e.index.load_metas().map_err(|e| e.to_string())?;
            let mut files = Vec::new();
            let mut complete = true;
            for seg in &metas.segments {
                let mut components = vec![C::Postings, C::Positions, C::Terms, C::Store, C::FastFields, C::FieldNorms];
                if seg.has_deletes() {
                    components.push(C::Delete);
                }
                for c in components {
                    let path = seg.relative_path(c);
                    complete &= dir.exists(&path).map_err(|e| e.to_string())?;
                    files.push(path.to_string_lossy().into_owned());
                }
            }
            let after = dir.atomic_read(Path::new("meta.json")).map_err(|e| e.to_string())?;
            if complete && after == before {
                let mut managed = serde_json::to_vec(&files).map_err(|e| e.to_string())?;
                managed.push(b'\n');
                let mut names = vec!["meta.json".to_owned()];
                names.extend(files);
                names.push(".managed.json".to_owned());
                return Ok(IndexExport { engine: e.clone(), names, meta: before, managed });
            }
        }
        Err("the index kept changing while it was exported".into())
    }

    /// Every file of an export, read at once (small indexes, tests).
    pub fn export_files(&self) -> Result<Vec<(String, Vec<u8>)>, String> {
        let x = self.export()?;
        x.names.iter().map(|n| Ok((n.clone(), x.read(n)?))).collect()
    }

    /// Replace the whole index with one made of `files` (from `export_files`, opened again
    /// by the caller). The files are checked before anything is replaced: an index of
    /// another shape is refused, and the index in use stays.
    pub fn load_files(&self, files: impl IntoIterator<Item = Result<(String, Vec<u8>), String>>) -> Result<u64, String> {
        let dir = RamDirectory::create();
        for f in files {
            let (name, bytes) = f?;
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with("..") || is_lock(&name) {
                return Err(format!("not an index file name: {name:?}"));
            }
            dir.atomic_write(Path::new(&name), &bytes).map_err(|e| e.to_string())?;
        }
        let index = Index::open(dir).map_err(|e| e.to_string())?;
        let same = |s: &Schema| serde_json::to_string(s).map_err(|e| e.to_string());
        if same(&index.schema())? != same(&schema())? {
            return Err("the index has another schema".into());
        }
        let engine = Engine::open(index)?;
        let docs = engine.reader.searcher().num_docs();
        *self.engine.write().map_err(|_| "search engine poisoned".to_owned())? = Arc::new(engine);
        Ok(docs)
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub(crate) fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// Replace (or add) documents and make them searchable.
    pub fn upsert(&self, docs: &[SearchDoc]) -> Result<(), String> {
        let e = self.engine()?;
        let mut w = e.writer.lock().map_err(|_| "search writer poisoned".to_owned())?;
        for d in docs {
            let key = format!("{}:{}", d.kind, d.id);
            w.delete_term(Term::from_field_text(self.key, &key));
            let mut doc = doc!(self.key => key, self.kind => d.kind, self.id => d.id.clone(), self.text => d.text.clone(), self.names => d.names.clone(), self.phon => phonetic_keys(&d.names));
            for o in &d.orgs {
                doc.add_text(self.orgs, o);
            }
            w.add_document(doc).map_err(|e| e.to_string())?;
        }
        w.commit().map_err(|e| e.to_string())?;
        drop(w);
        e.reader.reload().map_err(|e| e.to_string())
    }

    /// The best `limit` matches for a user's query as (kind, id), among records related to
    /// one of `orgs`. An empty `orgs` finds nothing (fail closed: a caller with no scope has
    /// nothing to search). The text is never handed to tantivy's query language (`field:*`,
    /// `"`, `(`, `~` would be syntax, and some of it errors inside the engine): it is split
    /// into words by the same analyzers that built the index, and every word must match in
    /// the narrative or the names.
    pub fn query(&self, q: &str, orgs: &[String], limit: usize) -> Result<Vec<(String, String)>, String> {
        use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery};
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let words = self.query_words(q)?;
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (text_terms, name_terms) in words {
            // One word may analyse to no term in one field (a stop word in narratives is still
            // a word in a name) and, rarely, to more than one: any of them may match. Names
            // are matched as people type them from speech — a letter off, the start of the
            // word, or a word that sounds the same — but an exact spelling ranks first.
            let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let boosted = |q: Box<dyn Query>, b: f32| -> (Occur, Box<dyn Query>) { (Occur::Should, Box::new(BoostQuery::new(q, b))) };
            for t in text_terms {
                let term = Term::from_field_text(self.text, &t);
                either.push((Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))));
            }
            for t in name_terms {
                let term = Term::from_field_text(self.names, &t);
                either.push(boosted(Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)), 4.0));
                let chars = t.chars().count();
                if chars >= 4 {
                    either.push(boosted(Box::new(FuzzyTermQuery::new(term.clone(), 1, true)), 1.5));
                }
                if chars >= 3 {
                    either.push(boosted(Box::new(FuzzyTermQuery::new_prefix(term, 0, false)), 1.0));
                }
                let key = amparo_linkage::phonetic::key(&t);
                if !key.is_empty() {
                    let pterm = Term::from_field_text(self.phon, &key.to_lowercase());
                    either.push(boosted(Box::new(TermQuery::new(pterm, IndexRecordOption::WithFreqs)), 2.0));
                }
            }
            if !either.is_empty() {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let terms = orgs.iter().map(|o| Term::from_field_text(self.orgs, o));
        clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
        let query = BooleanQuery::new(clauses);
        let searcher = self.engine()?.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score()).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr).map_err(|e| e.to_string())?;
            let get = |f: Field| d.get_first(f).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            out.push((get(self.kind), get(self.id)));
        }
        Ok(out)
    }

    /// The query's words, each as the terms the narrative analyzer and the names analyzer
    /// make of it. Words are split on anything that is not a letter or digit, so no character
    /// of the user's text is ever syntax.
    fn query_words(&self, q: &str) -> Result<Vec<QueryWord>, String> {
        let e = self.engine()?;
        let mut text_an = e.index.tokenizers().get("es_text").ok_or("es_text analyzer missing")?;
        let mut name_an = e.index.tokenizers().get("es_names").ok_or("es_names analyzer missing")?;
        let mut out = Vec::new();
        for word in q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(32) {
            let analyse = |an: &mut TextAnalyzer| {
                let mut terms = Vec::new();
                let mut stream = an.token_stream(word);
                while let Some(tok) = stream.next() {
                    terms.push(tok.text.clone());
                }
                terms
            };
            let t = analyse(&mut text_an);
            let n = analyse(&mut name_an);
            if !t.is_empty() || !n.is_empty() {
                out.push((t, n));
            }
        }
        Ok(out)
    }

    pub fn len(&self) -> u64 {
        self.engine().map_or(0, |e| e.reader.searcher().num_docs())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn doc(kind: &'static str, id: &str, text: &str, names: &str) -> SearchDoc {
        SearchDoc { kind, id: id.into(), text: text.into(), names: names.into(), orgs: vec!["o1".into()] }
    }

    #[test]
    fn spanish_analysis_folds_accents_and_stems() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[
            doc("report", "r1", "Captación de adolescentes en un bar de Punchana", ""),
            doc("report", "r2", "Trabajo forzoso en minería aurífera", ""),
            doc("person", "p1", "", "José Huamán Quispe"),
        ])
        .unwrap();
        assert_eq!(ix.query("captacion", &o1(), 10).unwrap(), vec![("report".into(), "r1".into())]);
        assert_eq!(ix.query("adolescente", &o1(), 10).unwrap().len(), 1, "plural and singular meet at the stem");
        assert_eq!(ix.query("mineria aurifera", &o1(), 10).unwrap(), vec![("report".into(), "r2".into())]);
        assert_eq!(ix.query("HUAMAN jose", &["o1".into()], 10).unwrap(), vec![("person".into(), "p1".into())]);
        assert!(ix.query("captación minería", &o1(), 10).unwrap().is_empty(), "every term must match");
        assert!(ix.query("((( AND", &o1(), 10).is_ok(), "bad syntax is not an error");
        assert!(ix.query("captacion", &["o2".into()], 10).unwrap().is_empty(), "another organisation's records are filtered out");
    }

    fn o1() -> Vec<String> {
        vec!["o1".into()]
    }

    #[test]
    fn an_empty_scope_finds_nothing() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[doc("report", "r1", "Captación en Punchana", "")]).unwrap();
        assert!(ix.query("captacion", &[], 10).unwrap().is_empty(), "no organisation means no records, not all of them");
        assert_eq!(ix.query("captacion", &o1(), 10).unwrap().len(), 1);
    }

    #[test]
    fn query_syntax_is_plain_words() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[doc("person", "p1", "", "Érika Saavedra"), doc("report", "r1", "given names here", "")]).unwrap();
        // tantivy's query language would read these as field names, ranges, phrases or
        // wildcards (`given_names:*` once answered 500); here they are only words.
        for q in ["given_names:*", "names:*", "*", "\"", "saavedra^9", "(saavedra", "[a TO z]", "saavedra~2", "-saavedra", "+", "id:p1"] {
            assert!(ix.query(q, &o1(), 10).is_ok(), "{q}");
        }
        assert_eq!(ix.query("names:saavedra", &o1(), 10).unwrap().len(), 0, "`names` is a word that must match too");
        assert_eq!(ix.query("(saavedra) érika*", &o1(), 10).unwrap(), vec![("person".into(), "p1".into())]);
        assert!(ix.query("id:p1", &o1(), 10).unwrap().is_empty(), "field names are not reachable");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn any_text_is_a_valid_query(q in "\\PC{0,80}") {
            let ix = SearchIndex::new().unwrap();
            ix.upsert(&[doc("report", "r1", "Captación en Punchana", "José Huamán")]).unwrap();
            proptest::prop_assert!(ix.query(&q, &o1(), 10).is_ok());
        }
    }

    #[test]
    fn names_are_found_as_people_type_them_and_exact_ranks_first() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[
            doc("person", "p1", "", "Érika Saavedra Quispe"),
            doc("person", "p2", "", "Erica Salas"),
            doc("person", "p3", "", "Víctor Huamán"),
        ])
        .unwrap();
        let ids = |q: &str| ix.query(q, &o1(), 10).unwrap().into_iter().map(|(_, id)| id).collect::<Vec<_>>();
        assert_eq!(ids("Erika Saavedra"), vec!["p1"]);
        assert_eq!(ids("saavedra"), vec!["p1"]);
        assert_eq!(ids("Érika").first().map(String::as_str), Some("p1"), "the exact spelling first: {:?}", ids("Érika"));
        assert!(ids("Erica Saavedra").contains(&"p1".to_owned()), "a one-letter variant finds her");
        assert!(ids("Saavedr").contains(&"p1".to_owned()), "a prefix finds her");
        assert!(ids("Bictor Guaman").contains(&"p3".to_owned()), "a name that sounds the same finds him");
        assert!(ids("Zzyzx").is_empty());
        assert!(ix.query("Saavedra", &["o2".into()], 10).unwrap().is_empty(), "never past the caller's organisations");
    }

    #[test]
    fn upsert_replaces_the_old_text() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[doc("case", "c1", "primera versión", "")]).unwrap();
        ix.upsert(&[doc("case", "c1", "segunda versión", "")]).unwrap();
        assert!(ix.query("primera", &o1(), 10).unwrap().is_empty());
        assert_eq!(ix.query("segunda", &o1(), 10).unwrap().len(), 1);
        assert_eq!(ix.len(), 1);
    }

    #[test]
    fn exported_files_load_as_the_same_index() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[doc("case", "c1", "Ladrillera clandestina en Nauta", "Rosa Quispe")]).unwrap();
        ix.upsert(&[doc("report", "r1", "Bar en Iquitos", "")]).unwrap();
        let files = ix.export_files().unwrap();
        // The files hold the index as tantivy reads it: whoever has them has the words, which is
        // why they only leave this process sealed (`crypto/sealed_files.rs`).
        assert!(files.iter().any(|(n, _)| n == "meta.json") && files.len() > 3, "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
        let again = SearchIndex::new().unwrap();
        assert_eq!(again.load_files(files.into_iter().map(Ok)).unwrap(), 2);
        assert_eq!(again.query("ladrilleras", &o1(), 5).unwrap(), vec![("case".to_owned(), "c1".to_owned())]);
        again.upsert(&[doc("case", "c2", "Otra ladrillera", "")]).unwrap();
        assert_eq!(again.query("ladrillera", &o1(), 5).unwrap().len(), 2, "the loaded index takes writes");
        assert!(again.load_files([Ok(("../meta.json".to_owned(), Vec::new()))]).is_err());
        assert_eq!(again.len(), 3, "a refused load leaves the index in use");
        // A loaded index exported again (the next start's snapshot) holds all of it: what it
        // was loaded with as well as what was written since.
        let third = SearchIndex::new().unwrap();
        assert_eq!(third.load_files(again.export_files().unwrap().into_iter().map(Ok)).unwrap(), 3);
        assert_eq!(third.query("ladrillera", &o1(), 5).unwrap().len(), 2);
        assert_eq!(third.query("iquitos", &o1(), 5).unwrap(), vec![("report".to_owned(), "r1".to_owned())]);
    }
}
