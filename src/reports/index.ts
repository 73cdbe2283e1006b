export * from './types.js'
export {parseReport, ReportFormatError} from './parse.js'
export {limitReport, limitRows} from './limit.js'
export {loadReports, MAX_REPORT_BYTES, MissingReportsError, readReport, type ReadReportOptions, serializeReport, writeReports, type WrittenFile} from './store.js'
