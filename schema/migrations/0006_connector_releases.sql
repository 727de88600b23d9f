CREATE TABLE "connector_releases" (
	"version" text PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"size" bigint NOT NULL,
	"key_id" text NOT NULL,
	"manifest" jsonb NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connector_ring_history" (
	"ring" text NOT NULL,
	"version" text NOT NULL,
	"first_set_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connector_ring_history_ring_version_pk" PRIMARY KEY("ring","version"),
	CONSTRAINT "connector_ring_history_ring" CHECK ("connector_ring_history"."ring" in ('canary', 'early', 'stable'))
);
--> statement-breakpoint
CREATE TABLE "connector_ring_versions" (
	"ring" text PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connector_ring_versions_ring" CHECK ("connector_ring_versions"."ring" in ('canary', 'early', 'stable'))
);
--> statement-breakpoint
ALTER TABLE "connector_ring_history" ADD CONSTRAINT "connector_ring_history_version_connector_releases_version_fk" FOREIGN KEY ("version") REFERENCES "public"."connector_releases"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connector_ring_versions" ADD CONSTRAINT "connector_ring_versions_version_connector_releases_version_fk" FOREIGN KEY ("version") REFERENCES "public"."connector_releases"("version") ON DELETE no action ON UPDATE no action;