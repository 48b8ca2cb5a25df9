-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ESMRQualifier" AS ENUM ('=', '<', '<=', '>', '>=', 'ND', 'DNQ');

-- CreateEnum
CREATE TYPE "ESMRLocationType" AS ENUM ('EFFLUENT_MONITORING', 'INFLUENT_MONITORING', 'RECEIVING_WATER_MONITORING', 'GROUNDWATER_MONITORING', 'INTERNAL_MONITORING', 'RECYCLED_WATER_MONITORING', 'STORMWATER_MONITORING', 'BIOSOLIDS_MONITORING', 'LAND_DISCHARGE_MONITORING', 'WATER_SUPPLY', 'OTHER');

-- CreateEnum
CREATE TYPE "BenchmarkType" AS ENUM ('NAL', 'MCL', 'CMC', 'CCC');

-- CreateEnum
CREATE TYPE "BenchmarkLimit" AS ENUM ('MAXIMUM', 'MINIMUM');

-- CreateEnum
CREATE TYPE "BenchmarkPeriod" AS ENUM ('INSTANTANEOUS', 'ANNUAL_AVERAGE');

-- CreateTable
CREATE TABLE "ESMRFacility" (
    "facilityPlaceId" INTEGER NOT NULL,
    "facilityName" TEXT NOT NULL,
    "region" TEXT,

    CONSTRAINT "ESMRFacility_pkey" PRIMARY KEY ("facilityPlaceId")
);

-- CreateTable
CREATE TABLE "ESMRLocation" (
    "locationPlaceId" INTEGER NOT NULL,
    "facilityPlaceId" INTEGER NOT NULL,
    "locationCode" TEXT NOT NULL,
    "locationType" "ESMRLocationType" NOT NULL,
    "latitude" DECIMAL(9,6),
    "longitude" DECIMAL(9,6),

    CONSTRAINT "ESMRLocation_pkey" PRIMARY KEY ("locationPlaceId")
);

-- CreateTable
CREATE TABLE "ESMRParameter" (
    "id" TEXT NOT NULL,
    "parameterName" TEXT NOT NULL,
    "category" TEXT,
    "canonicalKey" TEXT,

    CONSTRAINT "ESMRParameter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ESMRSample" (
    "id" TEXT NOT NULL,
    "locationPlaceId" INTEGER NOT NULL,
    "parameterId" TEXT NOT NULL,
    "samplingDate" DATE NOT NULL,
    "samplingTime" TIME NOT NULL,
    "qualifier" "ESMRQualifier" NOT NULL,
    "result" DECIMAL(18,6),
    "units" VARCHAR(50) NOT NULL,
    "mdl" DECIMAL(18,6),
    "ml" DECIMAL(18,6),
    "rl" DECIMAL(18,6),
    "calculatedMethod" TEXT,
    "analyticalMethod" TEXT,
    "smrDocumentId" INTEGER,
    "reviewPriority" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ESMRSample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Facility" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "wdid" TEXT,
    "esmrFacilityId" INTEGER,
    "impairedWater" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Facility_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConfigPollutant" (
    "key" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "category" TEXT,

    CONSTRAINT "ConfigPollutant_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "PollutantBenchmark" (
    "id" TEXT NOT NULL,
    "pollutantKey" TEXT NOT NULL,
    "benchmarkType" "BenchmarkType" NOT NULL,
    "limit" "BenchmarkLimit" NOT NULL DEFAULT 'MAXIMUM',
    "period" "BenchmarkPeriod" NOT NULL DEFAULT 'INSTANTANEOUS',
    "value" DECIMAL(18,6) NOT NULL,
    "units" VARCHAR(50) NOT NULL,
    "source" TEXT NOT NULL,
    "notes" TEXT,

    CONSTRAINT "PollutantBenchmark_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ViolationEvent" (
    "id" TEXT NOT NULL,
    "facilityId" TEXT NOT NULL,
    "pollutant" TEXT NOT NULL,
    "firstDate" DATE NOT NULL,
    "lastDate" DATE NOT NULL,
    "count" INTEGER NOT NULL,
    "maxRatio" DECIMAL(8,2) NOT NULL,
    "reportingYear" TEXT NOT NULL,
    "impairedWater" BOOLEAN NOT NULL DEFAULT false,
    "dismissed" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ViolationEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL,
    "facilityId" TEXT NOT NULL,
    "violationEventId" TEXT,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMP(3),

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ESMRLocation_facilityPlaceId_idx" ON "ESMRLocation"("facilityPlaceId");

-- CreateIndex
CREATE UNIQUE INDEX "ESMRParameter_parameterName_key" ON "ESMRParameter"("parameterName");

-- CreateIndex
CREATE INDEX "ESMRParameter_canonicalKey_idx" ON "ESMRParameter"("canonicalKey");

-- CreateIndex
CREATE INDEX "ESMRSample_locationPlaceId_samplingDate_idx" ON "ESMRSample"("locationPlaceId", "samplingDate");

-- CreateIndex
CREATE INDEX "ESMRSample_parameterId_samplingDate_idx" ON "ESMRSample"("parameterId", "samplingDate");

-- CreateIndex
CREATE UNIQUE INDEX "Facility_wdid_key" ON "Facility"("wdid");

-- CreateIndex
CREATE UNIQUE INDEX "Facility_esmrFacilityId_key" ON "Facility"("esmrFacilityId");

-- CreateIndex
CREATE INDEX "PollutantBenchmark_pollutantKey_idx" ON "PollutantBenchmark"("pollutantKey");

-- CreateIndex
CREATE UNIQUE INDEX "PollutantBenchmark_pollutantKey_benchmarkType_limit_period_key" ON "PollutantBenchmark"("pollutantKey", "benchmarkType", "limit", "period");

-- CreateIndex
CREATE UNIQUE INDEX "ViolationEvent_facilityId_pollutant_reportingYear_key" ON "ViolationEvent"("facilityId", "pollutant", "reportingYear");

-- CreateIndex
CREATE INDEX "Alert_facilityId_createdAt_idx" ON "Alert"("facilityId", "createdAt");

-- AddForeignKey
ALTER TABLE "ESMRLocation" ADD CONSTRAINT "ESMRLocation_facilityPlaceId_fkey" FOREIGN KEY ("facilityPlaceId") REFERENCES "ESMRFacility"("facilityPlaceId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ESMRParameter" ADD CONSTRAINT "ESMRParameter_canonicalKey_fkey" FOREIGN KEY ("canonicalKey") REFERENCES "ConfigPollutant"("key") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ESMRSample" ADD CONSTRAINT "ESMRSample_locationPlaceId_fkey" FOREIGN KEY ("locationPlaceId") REFERENCES "ESMRLocation"("locationPlaceId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ESMRSample" ADD CONSTRAINT "ESMRSample_parameterId_fkey" FOREIGN KEY ("parameterId") REFERENCES "ESMRParameter"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Facility" ADD CONSTRAINT "Facility_esmrFacilityId_fkey" FOREIGN KEY ("esmrFacilityId") REFERENCES "ESMRFacility"("facilityPlaceId") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PollutantBenchmark" ADD CONSTRAINT "PollutantBenchmark_pollutantKey_fkey" FOREIGN KEY ("pollutantKey") REFERENCES "ConfigPollutant"("key") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ViolationEvent" ADD CONSTRAINT "ViolationEvent_facilityId_fkey" FOREIGN KEY ("facilityId") REFERENCES "Facility"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_facilityId_fkey" FOREIGN KEY ("facilityId") REFERENCES "Facility"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_violationEventId_fkey" FOREIGN KEY ("violationEventId") REFERENCES "ViolationEvent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

