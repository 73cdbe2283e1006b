export * from './types.js'
export {parseReport, ReportFormatError} from './parse.js'
export {limitReport, limitRows} from './limit.js'
export {loadReports, MAX_REPORT_BYTES, MissingReportsError, PAGE_KEY, readReport, type ReadReportOptions, type ReportFile, reportFiles, serializeReport, writeReports, type WrittenFile} from './store.js'
