# syntax=docker/dockerfile:1
# Build: docker build -t model-registry --build-arg VERSION=$(git describe --always) .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/model-registry .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/model-registry /usr/local/bin/model-registry
ENV DOCKED_MODE=true MODEL_REGISTRY_PORT=8110
EXPOSE 8110
USER nonroot:nonroot
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/model-registry", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/model-registry"]
CMD ["serve"]
