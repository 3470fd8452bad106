ALTER TABLE "grants" ADD COLUMN "caps_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "locale" text;