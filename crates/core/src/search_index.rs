//! The in-memory full-text index (tantivy, RAM directory): nothing of it touches the disk, so
//! no plaintext narrative or name is ever written outside the encrypted columns.
//!
//! Two analyzers: `es_text` for narratives and notes (lower case, ASCII folding, Spanish stop
//! words, Snowball Spanish stemmer — "captacion" finds "Captación", "captadas" finds
//! "captación") and `es_names` for names and aliases (lower case and folding only: names are
//! not stemmed). The index holds ids and kinds, never who may see what: every hit is checked
//! against the policy at query time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

pub struct SearchIndex {
    index: Index,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    key: Field,
    kind: Field,
    id: Field,
    text: Field,
    names: Field,
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
        let mut sb = Schema::builder();
        let key = sb.add_text_field("key", STRING);
        let kind = sb.add_text_field("kind", STRING | STORED);
        let id = sb.add_text_field("id", STRING | STORED);
        let text = sb.add_text_field("text", text_options("es_text"));
        let names = sb.add_text_field("names", text_options("es_names"));
        let orgs = sb.add_text_field("orgs", STRING);
        let index = Index::create_in_ram(sb.build());
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
        let writer = index.writer_with_num_threads(1, 30_000_000).map_err(|e| e.to_string())?;
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e: tantivy::TantivyError| e.to_string())?;
        Ok(Self {
            index,
            writer: Mutex::new(writer),
            reader,
            key,
            kind,
            id,
            text,
            names,
            orgs,
            indexed_seq: Mutex::new(0),
            ready: AtomicBool::new(false),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub(crate) fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// Replace (or add) documents and make them searchable.
    pub fn upsert(&self, docs: &[SearchDoc]) -> Result<(), String> {
        let mut w = self.writer.lock().map_err(|_| "search writer poisoned".to_owned())?;
        for d in docs {
            let key = format!("{}:{}", d.kind, d.id);
            w.delete_term(Term::from_field_text(self.key, &key));
            let mut doc = doc!(self.key => key, self.kind => d.kind, self.id => d.id.clone(), self.text => d.text.clone(), self.names => d.names.clone());
            for o in &d.orgs {
                doc.add_text(self.orgs, o);
            }
            w.add_document(doc).map_err(|e| e.to_string())?;
        }
        w.commit().map_err(|e| e.to_string())?;
        drop(w);
        self.reader.reload().map_err(|e| e.to_string())
    }

    /// The best `limit` matches for a user's query as (kind, id), among records related to
    /// one of `orgs` (all records when `orgs` is empty). Every term must match; syntax the
    /// parser does not understand is ignored rather than refused.
    pub fn query(&self, q: &str, orgs: &[String], limit: usize) -> Result<Vec<(String, String)>, String> {
        let mut parser = QueryParser::for_index(&self.index, vec![self.text, self.names]);
        parser.set_conjunction_by_default();
        let (user_query, _) = parser.parse_query_lenient(q);
        let query: Box<dyn tantivy::query::Query> = if orgs.is_empty() {
            user_query
        } else {
            let terms = orgs.iter().map(|o| Term::from_field_text(self.orgs, o));
            let filter = tantivy::query::TermSetQuery::new(terms);
            Box::new(tantivy::query::BooleanQuery::new(vec![
                (tantivy::query::Occur::Must, user_query),
                (tantivy::query::Occur::Must, Box::new(filter)),
            ]))
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score()).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr).map_err(|e| e.to_string())?;
            let get = |f: Field| d.get_first(f).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            out.push((get(self.kind), get(self.id)));
        }
        Ok(out)
    }

    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
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
        assert_eq!(ix.query("captacion", &[], 10).unwrap(), vec![("report".into(), "r1".into())]);
        assert_eq!(ix.query("adolescente", &[], 10).unwrap().len(), 1, "plural and singular meet at the stem");
        assert_eq!(ix.query("mineria aurifera", &[], 10).unwrap(), vec![("report".into(), "r2".into())]);
        assert_eq!(ix.query("HUAMAN jose", &["o1".into()], 10).unwrap(), vec![("person".into(), "p1".into())]);
        assert!(ix.query("captación minería", &[], 10).unwrap().is_empty(), "every term must match");
        assert!(ix.query("((( AND", &[], 10).is_ok(), "bad syntax is not an error");
        assert!(ix.query("captacion", &["o2".into()], 10).unwrap().is_empty(), "another organisation's records are filtered out");
    }

    #[test]
    fn upsert_replaces_the_old_text() {
        let ix = SearchIndex::new().unwrap();
        ix.upsert(&[doc("case", "c1", "primera versión", "")]).unwrap();
        ix.upsert(&[doc("case", "c1", "segunda versión", "")]).unwrap();
        assert!(ix.query("primera", &[], 10).unwrap().is_empty());
        assert_eq!(ix.query("segunda", &[], 10).unwrap().len(), 1);
        assert_eq!(ix.len(), 1);
    }
}
