CREATE TABLE "sync_seen" (
	"tenant_id" text NOT NULL,
	"run_id" text NOT NULL,
	"article_id" text NOT NULL,
	CONSTRAINT "sync_seen_tenant_id_run_id_article_id_pk" PRIMARY KEY("tenant_id","run_id","article_id")
);
--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "cursor" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "attempts" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_seen" ADD CONSTRAINT "sync_seen_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;