//! Import templates.
pub enum TemplateKind {
    Points,
    Results,
}
pub enum TemplateFormat {
    Csv,
    Xlsx,
}
pub fn template(_kind: TemplateKind, _format: TemplateFormat) -> Vec<u8> {
    Vec::new()
}
