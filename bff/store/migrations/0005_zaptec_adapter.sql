CREATE TABLE "zaptec_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"installation_id" text,
	"charger_id" text,
	"session_id" text,
	"direction" text NOT NULL,
	"kind" text NOT NULL,
	"status" integer,
	"duration_ms" integer,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zaptec_chargers" (
	"charger_id" text PRIMARY KEY NOT NULL,
	"installation_id" text NOT NULL,
	"zaptec_charger_id" text NOT NULL,
	"device_id" text,
	"online" boolean,
	"operating_mode" integer,
	"state_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "zaptec_installations" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"zaptec_installation_id" text,
	"webhooks" boolean DEFAULT false NOT NULL,
	"api" boolean DEFAULT false NOT NULL,
	"webhook_auth" text DEFAULT 'basic' NOT NULL,
	"webhook_username" text,
	"webhook_password_hash" text,
	"api_username" text,
	"api_password_sealed" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zaptec_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"charger_id" text NOT NULL,
	"connector_id" integer NOT NULL,
	"token" text NOT NULL,
	"state" text NOT NULL,
	"wait_until" timestamp with time zone,
	"authorized_at" timestamp with time zone,
	"zaptec_session_id" text,
	"approved_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"stopped_at" timestamp with time zone,
	"stop_requested_at" timestamp with time zone,
	"disconnected_at" timestamp with time zone,
	"energy_wh" bigint,
	"power_w" integer,
	"stop_cause" text,
	"stop_told" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zaptec_webhook_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"installation_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "zaptec_chargers" ADD CONSTRAINT "zaptec_chargers_charger_id_chargers_id_fk" FOREIGN KEY ("charger_id") REFERENCES "public"."chargers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zaptec_chargers" ADD CONSTRAINT "zaptec_chargers_installation_id_zaptec_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."zaptec_installations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zaptec_installations" ADD CONSTRAINT "zaptec_installations_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zaptec_sessions" ADD CONSTRAINT "zaptec_sessions_charger_id_chargers_id_fk" FOREIGN KEY ("charger_id") REFERENCES "public"."chargers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zaptec_webhook_tokens" ADD CONSTRAINT "zaptec_webhook_tokens_installation_id_zaptec_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."zaptec_installations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "zaptec_calls_session" ON "zaptec_calls" USING btree ("session_id","id");--> statement-breakpoint
CREATE INDEX "zaptec_calls_charger" ON "zaptec_calls" USING btree ("charger_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "zaptec_chargers_zaptec_id" ON "zaptec_chargers" USING btree ("zaptec_charger_id");--> statement-breakpoint
CREATE INDEX "zaptec_chargers_installation" ON "zaptec_chargers" USING btree ("installation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "zaptec_installations_webhook_user" ON "zaptec_installations" USING btree ("webhook_username");--> statement-breakpoint
CREATE INDEX "zaptec_installations_site" ON "zaptec_installations" USING btree ("site_id");--> statement-breakpoint
CREATE INDEX "zaptec_sessions_charger" ON "zaptec_sessions" USING btree ("charger_id","state");--> statement-breakpoint
CREATE INDEX "zaptec_sessions_zaptec_id" ON "zaptec_sessions" USING btree ("zaptec_session_id");--> statement-breakpoint
CREATE INDEX "zaptec_webhook_tokens_expiry" ON "zaptec_webhook_tokens" USING btree ("expires_at");