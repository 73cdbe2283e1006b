export * from './types.js'
export {parseReport, ReportFormatError} from './parse.js'
export {loadReports, MissingReportsError, serializeReport, writeReports, type WrittenFile} from './store.js'
