// The inputs that the code in docs/VIOLATION_QUERY_PATTERNS.md and
// docs/VIOLATION_SCHEMA_MIGRATION.md takes: what a page of the app would get
// from its route or its user. The tests and measure.ts supply them.
import type { ESMRLocationType } from '../generated/prisma/client.ts'

export interface SnippetParams {
  /** an app Facility linked to an eSMR facility */
  facilityId: string
  /** an eSMR facility (facilityPlaceId) linked to no Facility */
  placeId: number
  /** a Facility made by hand (no eSMR link) */
  handFacilityId: string
  /** a reporting-year label, e.g. '2024' */
  year: string
  /** a pollutant key, e.g. 'TSS' */
  pollutant: string
  /** the first day of a month (UTC midnight) */
  monthStart: Date
  /** a date range, from inclusive, to exclusive (UTC midnights) */
  from: Date
  to: Date
  locationType: ESMRLocationType
  /** a ViolationEvent id */
  eventId: string
  /** a violation (ViolationSample id) that is OPEN */
  violationId: string
  /** who reviews, as the app knows its user */
  reviewer: string
  /** a PollutantBenchmark id */
  benchmarkId: string
  /** an ESMRSample id */
  sampleId: string
  /** keyset pagination: detectedAt and id of the last row of the page shown */
  afterDetectedAt: Date
  afterId: string
}
