# One image for the API, the workers or both (GATEWAY_ROLE). Node 24 LTS runs the TypeScript sources
# directly (type stripping), so there is no build step to drift from what the tests ran.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; install scripts off (the optional msgpackr native addon falls back to JS).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY wsdl ./wsdl
COPY openapi ./openapi
USER node
EXPOSE 3000
# node itself (not npm) receives SIGTERM and drains; run the container with --init (or tini) as PID 1.
ENTRYPOINT ["node", "src/main.ts"]
