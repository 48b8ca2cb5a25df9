// The test data set, written through Prisma Client the way the app writes it:
// eSMR facilities and locations, the app's Facilities (one linked to eSMR, one
// made by hand), a parameter, and samples (one by one and in bulk).
//
// Benchmarks (data/benchmarks.csv): TSS NAL 100 mg/L (annual) and 400 mg/L
// (instantaneous); COPPER NAL 0.0332 mg/L, CMC 13 ug/L, CCC 9 ug/L, MCL 1.3
// mg/L; PH NAL minimum 6.0 and maximum 9.0 SU. Default bands: ratio > 2 is
// CRITICAL, otherwise MODERATE.
import type { PrismaClient } from '../generated/prisma/client.ts'

export const FAC = 'fac_acme' // linked to eSMR facility 1001
export const HAND = 'fac_hand' // made by hand, no eSMR link
export const PLACE_UNLINKED = 1002 // eSMR facility linked to no Facility
export const TSS_ANNUAL = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'

const time = new Date('1970-01-01T10:00:00Z')
const day = (iso: string) => new Date(`${iso}T00:00:00Z`)

/** Today (UTC) as a date, and the first day of its month. */
export function today(): { date: Date; monthStart: Date; year: string } {
  const now = new Date()
  return {
    date: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())),
    monthStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    year: String(now.getUTCFullYear()),
  }
}

/**
 * What the samples below make, per sample id: the violations expected
 * (benchmark id -> [ratio, severity]).
 */
export const EXPECTED: Record<string, Record<string, [string, 'MODERATE' | 'CRITICAL']>> = {
  s_tss_1: { [TSS_ANNUAL]: ['2.5', 'CRITICAL'] },
  s_tss_2: { [TSS_ANNUAL]: ['4.5', 'CRITICAL'], 'TSS:NAL:MAXIMUM:INSTANTANEOUS': ['1.125', 'MODERATE'] },
  s_tss_3: { [TSS_ANNUAL]: ['1.5', 'MODERATE'] },
  s_tss_4: {},
  s_tss_5: { [TSS_ANNUAL]: ['1.2', 'MODERATE'] },
  s_cu_1: {
    'COPPER:CCC:MAXIMUM:INSTANTANEOUS': ['4.4444', 'CRITICAL'],
    'COPPER:CMC:MAXIMUM:INSTANTANEOUS': ['3.0769', 'CRITICAL'],
    'COPPER:NAL:MAXIMUM:ANNUAL_AVERAGE': ['1.2048', 'MODERATE'],
  },
  s_ph_1: { 'PH:NAL:MINIMUM:INSTANTANEOUS': ['1.1538', 'MODERATE'] },
  s_zn_ntu: {},
  s_bay_1: { [TSS_ANNUAL]: ['3', 'CRITICAL'] },
  s_now_1: { [TSS_ANNUAL]: ['2.2', 'CRITICAL'] },
}

/** s_old_01 ... s_old_60: TSS 150 mg/L in 2022 (one MODERATE violation each). */
export const OLD_SAMPLES = Array.from({ length: 60 }, (_, i) => `s_old_${String(i + 1).padStart(2, '0')}`)
for (const id of OLD_SAMPLES) EXPECTED[id] = { [TSS_ANNUAL]: ['1.5', 'MODERATE'] }

export async function loadFixtures(prisma: PrismaClient): Promise<void> {
  await prisma.eSMRFacility.create({
    data: {
      facilityPlaceId: 1001, facilityName: 'Acme Plating', region: '4',
      locations: {
        create: [
          { locationPlaceId: 2001, locationCode: 'EFF-001', locationType: 'EFFLUENT_MONITORING', latitude: '34.050000', longitude: '-118.240000' },
          { locationPlaceId: 2002, locationCode: 'SW-001', locationType: 'STORMWATER_MONITORING' },
        ],
      },
    },
  })
  await prisma.eSMRFacility.create({
    data: {
      facilityPlaceId: PLACE_UNLINKED, facilityName: 'Bay Metal Finishing', region: '2',
      locations: { create: [{ locationPlaceId: 2011, locationCode: 'SW-001', locationType: 'STORMWATER_MONITORING' }] },
    },
  })
  await prisma.facility.create({ data: { id: FAC, name: 'Acme Plating Inc.', wdid: '4 19I000001', esmrFacilityId: 1001, impairedWater: true } })
  await prisma.facility.create({ data: { id: HAND, name: 'Mill Creek monitoring site (by hand)' } })

  // A parameter made through Prisma, tracked as COPPER: detection sees it at once.
  const copper = await prisma.eSMRParameter.create({
    data: { id: 'par_cu_lab_b', parameterName: 'Copper, Dissolved (lab B)', category: 'metal', canonicalKey: 'COPPER' },
  })
  const param = async (name: string) => (await prisma.eSMRParameter.findUniqueOrThrow({ where: { parameterName: name } })).id
  const tss = await param('Total Suspended Solids (TSS)')
  const ph = await param('pH')
  const zinc = await param('Zinc, Total')

  // One sample with create (its own INSERT) ...
  await prisma.eSMRSample.create({
    data: { id: 's_tss_1', locationPlaceId: 2002, parameterId: tss, samplingDate: day('2024-03-05'), samplingTime: time, qualifier: 'EQUAL', result: '250', units: 'mg/L' },
  })
  // ... and the rest in bulk (one INSERT: the detection trigger sees them together).
  const t = today()
  await prisma.eSMRSample.createMany({
    data: [
      { id: 's_tss_2', locationPlaceId: 2001, parameterId: tss, samplingDate: day('2024-06-10'), samplingTime: time, qualifier: 'EQUAL', result: '450', units: 'mg/L' },
      { id: 's_tss_3', locationPlaceId: 2002, parameterId: tss, samplingDate: day('2024-09-01'), samplingTime: time, qualifier: 'EQUAL', result: '150', units: 'MG/L' },
      { id: 's_tss_4', locationPlaceId: 2001, parameterId: tss, samplingDate: day('2024-10-01'), samplingTime: time, qualifier: 'LESS_THAN', result: '500', units: 'mg/L' },
      { id: 's_tss_5', locationPlaceId: 2002, parameterId: tss, samplingDate: day('2023-11-20'), samplingTime: time, qualifier: 'EQUAL', result: '120', units: 'mg/L' },
      { id: 's_cu_1', locationPlaceId: 2002, parameterId: copper.id, samplingDate: day('2024-04-15'), samplingTime: time, qualifier: 'EQUAL', result: '40', units: 'ug/L' },
      { id: 's_ph_1', locationPlaceId: 2001, parameterId: ph, samplingDate: day('2024-07-19'), samplingTime: time, qualifier: 'EQUAL', result: '5.2', units: 'S.U.' },
      { id: 's_zn_ntu', locationPlaceId: 2001, parameterId: zinc, samplingDate: day('2024-08-01'), samplingTime: time, qualifier: 'EQUAL', result: '0.1', units: 'NTU' },
      { id: 's_bay_1', locationPlaceId: 2011, parameterId: tss, samplingDate: day('2024-05-05'), samplingTime: time, qualifier: 'EQUAL', result: '300', units: 'mg/L' },
      { id: 's_now_1', locationPlaceId: 2002, parameterId: tss, samplingDate: t.date, samplingTime: time, qualifier: 'EQUAL', result: '220', units: 'mg/L' },
      // 60 older TSS results, one a week through 2022: enough for two drilldown pages
      ...OLD_SAMPLES.map((id, i) => ({
        id, locationPlaceId: 2001, parameterId: tss, samplingDate: new Date(Date.UTC(2022, 0, 3 + 7 * i)),
        samplingTime: time, qualifier: 'EQUAL' as const, result: '150', units: 'mg/L',
      })),
    ],
  })
}
